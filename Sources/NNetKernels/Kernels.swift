// The fast kernels the engine calls. Same contracts as `Reference`, tested against it.
// Stage: kernels. (Initially forwards to Reference; replaced kernel by kernel with SIMD versions.)

public enum Kernels {
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        Reference.gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                       c: c, ldc: ldc, accumulate: accumulate)
    }
}
