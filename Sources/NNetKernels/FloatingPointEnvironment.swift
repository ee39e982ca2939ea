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
#elseif canImport(Darwin)
import Darwin
#endif

public enum FloatingPointEnvironment {
    /// Sets flush-to-zero and denormals-are-zero (x86 MXCSR FTZ|DAZ; arm64 FPCR.FZ) for the
    /// calling thread. Idempotent; a no-op where the environment is not reachable.
    public static func flushSubnormalsOnThisThread() {
        // Cheap after the first call on a thread (a thread-specific flag, not the FPU state).
        guard pthread_getspecific(flushedKey) == nil else { return }
        pthread_setspecific(flushedKey, UnsafeRawPointer(bitPattern: 1))
        #if canImport(Glibc) && arch(x86_64)
        var environment = fenv_t()
        fegetenv(&environment)
        environment.__mxcsr |= 0x8040  // FTZ (bit 15) | DAZ (bit 6)
        fesetenv(&environment)
        #elseif canImport(Glibc) && arch(arm64)
        var environment = fenv_t()
        fegetenv(&environment)
        environment.__fpcr |= 1 << 24  // FPCR.FZ
        fesetenv(&environment)
        #endif
    }

    /// Set (non-nil) on a thread once its mode is set.
    private static let flushedKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Whether the calling thread flushes subnormals (for tests).
    public static var flushesSubnormals: Bool { halve(probe) == 0 }

    /// The smallest normal float, in a mutable global so the product is computed at run time.
    nonisolated(unsafe) static var probe = Float.leastNormalMagnitude

    @inline(never) static func halve(_ x: Float) -> Float { x * 0.5 }
}
