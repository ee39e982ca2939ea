// Tensor shapes. Shapes in the language and the IR exclude the batch dimension.
// Stage: IR.

/// Formats a shape the way users write it: `[28, 28, 1]`.
public func describeShape(_ dims: [Int]) -> String {
    "[" + dims.map(String.init).joined(separator: ", ") + "]"
}

/// Number of elements in one sample of this shape (1 for a scalar `[]`).
public func elementCount(_ dims: [Int]) -> Int { dims.reduce(1, *) }
