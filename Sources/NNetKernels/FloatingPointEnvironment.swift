// Subnormal floats flushed to zero on every thread that runs kernels. Stage: kernels.
//
// Training produces values below 1.2e-38: Adam's first moment of a weight that stops receiving
// gradient (a border pixel of Fashion-MNIST) shrinks by 10% a step and is subnormal within ~800
// steps. x86 cores take a microcode assist of ~100 cycles for every subnormal operand or result:
// in a W2 training step Adam cost 20% of the time for this alone. TensorFlow and XLA (JAX) train
// with flush-to-zero too. Every thread that computes (the caller and the pool's workers) sets the
// same mode, so results stay independent of the thread count.

#if canImport(Glibc)
import Glibc
#endif

public enum FloatingPointEnvironment {
    /// Sets flush-to-zero and denormals-are-zero (x86 MXCSR FTZ|DAZ; arm64 FPCR.FZ) for the
    /// calling thread. Idempotent; a no-op where the environment is not reachable.
    public static func flushSubnormalsOnThisThread() {
        #if canImport(Glibc) && arch(x86_64)
        var environment = fenv_t()
        fegetenv(&environment)
        let flags: UInt32 = 0x8040  // FTZ (bit 15) | DAZ (bit 6)
        if environment.__mxcsr & flags != flags {
            environment.__mxcsr |= flags
            fesetenv(&environment)
        }
        #elseif canImport(Glibc) && arch(arm64)
        var environment = fenv_t()
        fegetenv(&environment)
        let flushToZero: UInt32 = 1 << 24  // FPCR.FZ
        if environment.__fpcr & flushToZero == 0 {
            environment.__fpcr |= flushToZero
            fesetenv(&environment)
        }
        #endif
    }

    /// Whether the calling thread flushes subnormals (for tests).
    public static var flushesSubnormals: Bool { halve(probe) == 0 }

    /// The smallest normal float, in a mutable global so the product is computed at run time.
    nonisolated(unsafe) static var probe = Float.leastNormalMagnitude

    @inline(never) static func halve(_ x: Float) -> Float { x * 0.5 }
}
