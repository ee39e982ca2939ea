// Optimizer updates over one parameter tensor: SGD, momentum (optionally Nesterov), Adam.
// Stage: kernels. Streaming SIMD16 loops; memory-bound, so one vector per iteration suffices.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Every update returns whether all the weights it wrote are finite, so that training need not
// read the parameters again to check them: w − w is 0 for a finite w and NaN for ±∞ or NaN, and
// a running sum of those stays 0 or becomes NaN (one subtraction and one addition per vector).

extension Kernels {
    /// w -= lr·g. Returns whether every new w is finite.
    @discardableResult
    public static func sgdUpdate(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                                 count: Int, learningRate: Float) -> Bool {
        let nonFinite = Vector.sumEach(count) { i, lanes in
            let value = Vector.load(w + i, lanes: lanes) - learningRate * Vector.load(g + i, lanes: lanes)
            Vector.store(value, w + i, lanes: lanes)
            return value - value
        }
        return nonFinite.sum() == 0
    }

    /// v = μ·v + g; w -= lr·(nesterov ? g + μ·v : v)   (PyTorch's formulation, no dampening).
    /// Returns whether every new w is finite.
    @discardableResult
    public static func momentumUpdate(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                                      velocity v: UnsafeMutablePointer<Float>, count: Int,
                                      learningRate: Float, momentum: Float, nesterov: Bool) -> Bool {
        let nonFinite = Vector.sumEach(count) { i, lanes in
            let gradient = Vector.load(g + i, lanes: lanes)
            let velocity = momentum * Vector.load(v + i, lanes: lanes) + gradient
            let step = nesterov ? gradient + momentum * velocity : velocity
            Vector.store(velocity, v + i, lanes: lanes)
            let value = Vector.load(w + i, lanes: lanes) - learningRate * step
            Vector.store(value, w + i, lanes: lanes)
            return value - value
        }
        return nonFinite.sum() == 0
    }

    /// Adam (Kingma & Ba) with bias correction at step `step` (1-based):
    /// m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²; w -= (lr/c1)·m / (√(v·(1/c2)) + ε).
    /// PyTorch's arrangement of the reference's lr·m̂/(√v̂ + ε): the corrections become scalar
    /// factors, leaving one vector division (the division, not memory, bounded this loop); the
    /// vector square root is within 1 ulp of `sqrtf`, so results match the reference to a few ulp.
    /// Returns whether every new w is finite.
    @discardableResult
    public static func adamUpdate(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                                  firstMoment m: UnsafeMutablePointer<Float>,
                                  secondMoment v: UnsafeMutablePointer<Float>, count: Int,
                                  learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, step: Int) -> Bool {
        let stepSize = learningRate / (1 - powf(beta1, Float(step)))
        let inverseCorrection2 = 1 / (1 - powf(beta2, Float(step)))
        // Direct calls of an always-inlined function, not `Vector.forEach` with a closure: the
        // optimiser kept that closure out of line and called it once per 16 floats (its prologue,
        // realigning the stack for zmm spills, took a third of the update's time).
        @inline(__always) func update(_ i: Int, _ lanes: Int) -> Vector.F {
            let gradient = Vector.load(g + i, lanes: lanes)
            let first = beta1 * Vector.load(m + i, lanes: lanes) + (1 - beta1) * gradient
            let second = beta2 * Vector.load(v + i, lanes: lanes) + (1 - beta2) * gradient * gradient
            Vector.store(first, m + i, lanes: lanes)
            Vector.store(second, v + i, lanes: lanes)
            let update = (stepSize * first) / (Vector.squareRoot(second * inverseCorrection2) + epsilon)
            let value = Vector.load(w + i, lanes: lanes) - update
            Vector.store(value, w + i, lanes: lanes)
            return value - value
        }
        // Not `Vector.sumEach`: with this body the optimiser emits `update` out of line again.
        var nonFinite = Vector.F(), i = 0
        while i &+ 16 <= count {
            nonFinite += update(i, 16)
            i &+= 16
        }
        if i < count { nonFinite += update(i, count &- i) }
        return nonFinite.sum() == 0
    }
}
