// `upsampling2d size: 2, interpolation: nearest`: enlarges [height, width, channels] samples by an
// integer factor per axis. Stage: IR. nearest repeats each pixel size×size times; bilinear
// interpolates with half-pixel centres (PyTorch align_corners=False, Keras/TensorFlow).

import NNetSyntax
import NNetKernels

/// An upsampling op's input size and factors.
public struct UpsamplingAttributes: Sendable, Hashable, CustomStringConvertible {
    public let height: Int, width: Int, channels: Int
    public let factorHeight: Int, factorWidth: Int
    public let interpolation: Interpolation

    public init(height: Int, width: Int, channels: Int, factorHeight: Int, factorWidth: Int, interpolation: Interpolation) {
        (self.height, self.width, self.channels) = (height, width, channels)
        (self.factorHeight, self.factorWidth, self.interpolation) = (factorHeight, factorWidth, interpolation)
    }

    public var factor: (height: Int, width: Int) { (factorHeight, factorWidth) }
    public var description: String { "x\(factorHeight == factorWidth ? "\(factorHeight)" : "\(factorHeight),\(factorWidth)"), \(interpolation.rawValue)" }
}

public enum UpSampling2DLayer: LayerDefinition {
    public static let kind = "upsampling2d"
    public static let signature = Signature("layer 'upsampling2d'", [
        ParameterSpec("size", expects: "a positive integer or [height, width] (default 2)", positional: true),
        ParameterSpec("interpolation", expects: Interpolation.allCases.map(\.rawValue).joined(separator: " or ")),
    ])

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        let size = try Spatial.pair(arguments, "size", default: Pair(2, 2))
        let interpolation = Interpolation(rawValue: try arguments.symbol(
            "interpolation", choices: Interpolation.allCases.map(\.rawValue), default: "nearest"))!
        let (height, width, channels) = try Spatial.image(input, kind: kind, name: name, at: layer.kind.range)
        let attributes = UpsamplingAttributes(height: height, width: width, channels: channels,
                                              factorHeight: size.height, factorWidth: size.width,
                                              interpolation: interpolation)
        let outputShape = [height * size.height, width * size.width, channels]
        return LayerConfig(outputShape: outputShape, detail: attributes.description) { graph, x, _, _, index in
            graph.add(.upsampling2d(attributes), [x], shape: outputShape, layer: index)
        }
    }
}
