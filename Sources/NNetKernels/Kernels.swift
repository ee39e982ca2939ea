// The fast kernels the engine calls: same names and contracts as `Reference`, tested against it.
// Stage: kernels. The implementations live one concept per file: GEMM(+Packing, +MicroKernel),
// Pointwise, Softmax, Reductions, Losses, Optimizers; VectorMath holds the SIMD exp/log/tanh and
// ThreadPool the workers GEMM splits over. Every kernel has a contiguous SIMD16<Float> path
// (AVX-512 with `-target-cpu native`) and a padded-vector tail.

/// Fast CPU kernels. All matrices are row-major; shapes are given as (rows, columns).
public enum Kernels {}
