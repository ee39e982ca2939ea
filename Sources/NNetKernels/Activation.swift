// The pointwise nonlinearities every kernel and the IR agree on.
// Stage: kernels.

/// A pointwise activation. Gradients are computed from the activation's *output* `y`, so the
/// forward input need not be kept alive for the backward pass.
public enum ActivationKind: Equatable, Hashable, Sendable {
    case linear
    case relu
    case leakyRelu(alpha: Float)
    case sigmoid
    case tanh

    /// f(x)
    @inlinable public func apply(_ x: Float) -> Float {
        switch self {
        case .linear: return x
        case .relu: return x > 0 ? x : 0
        case .leakyRelu(let alpha): return x > 0 ? x : alpha * x
        case .sigmoid: return 1 / (1 + expf(-x))
        case .tanh: return tanhf(x)
        }
    }

    /// f'(x) expressed through y = f(x).
    @inlinable public func derivative(output y: Float) -> Float {
        switch self {
        case .linear: return 1
        case .relu: return y > 0 ? 1 : 0
        case .leakyRelu(let alpha): return y > 0 ? 1 : alpha
        case .sigmoid: return y * (1 - y)
        case .tanh: return 1 - y * y
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
