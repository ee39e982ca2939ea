// Tensor shapes. Shapes in the language and the IR exclude the batch dimension.
// Stage: IR.

import NNetSyntax

/// Formats a shape the way users write it: `[28, 28, 1]`.
public func describeShape(_ dims: [Int]) -> String {
    "[" + dims.map(String.init).joined(separator: ", ") + "]"
}

/// Number of elements in one sample of this shape (1 for a scalar `[]`).
public func elementCount(_ dims: [Int]) -> Int { dims.reduce(1, *) }

/// The most elements one tensor may have (a sample's input or layer output, or a parameter):
/// 2^31 - 1, 8 GiB of float32. Lowering rejects larger shapes, so every later size computation
/// (`elementCount`, batch × elements, FLOPs of a layer) stays far from `Int` overflow.
public let maximumElementCount = Int(Int32.max)

/// `elementCount(dims)`, or nil when it would exceed `maximumElementCount`; never overflows.
public func checkedElementCount(_ dims: [Int]) -> Int? {
    var count = 1
    for dim in dims {
        let (product, overflow) = count.multipliedReportingOverflow(by: dim)
        guard !overflow, product <= maximumElementCount else { return nil }
        count = product
    }
    return count
}

/// `1e+27 elements; a tensor may have at most 2147483647`: why a shape is too large.
func tooManyElements(_ dims: [Int]) -> String {
    let count = dims.reduce(1.0) { $0 * Double($1) }
    return "\(formatNumber(count)) elements; a tensor may have at most \(maximumElementCount)"
}

/// Throws `tensor-too-large` when the `what` tensor (`output`, `weight`) of layer `name` has more
/// than `maximumElementCount` elements. Lowering checks every layer's output and parameters after
/// `configure`; a layer that multiplies a parameter's dimensions itself (a convolution's fans)
/// checks that parameter first.
func checkElementCount(_ shape: [Int], of what: String, layer kind: String, _ name: String,
                       at range: SourceRange) throws(Diagnostic) {
    guard checkedElementCount(shape) == nil else { return }
    throw .error("tensor-too-large", "the \(what) of \(kind) '\(name)', \(describeShape(shape)), has \(tooManyElements(shape))",
                 at: range)
}
