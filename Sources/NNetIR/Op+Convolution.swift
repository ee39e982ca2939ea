// What the convolution ops have in common, for the planner's and the driver's cost summaries.
// Stage: IR.

import NNetKernels

extension Op {
    /// The geometry of a convolution op or of either of its gradients (nil for other ops).
    public var convolutionGeometry: ConvolutionGeometry? {
        switch self {
        case .conv2d(let g), .conv2dTranspose(let g), .conv2dInputGradient(let g), .conv2dWeightGradient(let g),
             .conv2dTransposeInputGradient(let g), .conv2dTransposeWeightGradient(let g):
            return g
        default:
            return nil
        }
    }

    /// Floating-point operations of a convolution op (or gradient) on `batch` samples: each is one
    /// GEMM of 2·(output pixels)·(kh·kw·cin)·cout flops.
    public func convolutionFlops(batch: Int) -> Int {
        guard let g = convolutionGeometry else { return 0 }
        return 2 * batch * g.outputHeight * g.outputWidth * g.patchSize * g.outputChannels
    }
}
