// An exponential moving average of a parameter tensor (a GAN's `generator_ema`). Stage: kernels.
// A streaming SIMD16 loop: memory-bound like the optimizer updates, one vector per iteration.

extension Kernels {
    /// average −= (1 − decay)·(average − value) elementwise: TF's ExponentialMovingAverage form
    /// of average·decay + value·(1 − decay). Each element alone, in this order, so any caller
    /// computing the same expression in Float gets the same bits.
    public static func movingAverageUpdate(_ average: UnsafeMutablePointer<Float>, toward value: UnsafePointer<Float>,
                                           decay: Float, count: Int) {
        let rate = 1 - decay
        Vector.forEach(count) { i, lanes in
            let current = Vector.load(average + i, lanes: lanes)
            Vector.store(current - rate * (current - Vector.load(value + i, lanes: lanes)), average + i, lanes: lanes)
        }
    }
}
