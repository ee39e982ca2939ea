// What the 2-D layers (conv2d, conv2d_transpose, pooling, upsampling) share: reading sizes written
// as `3` or `[3, 2]`, the padding modes, the output-size rules and their diagnostics. Stage: IR.
// Images are [height, width, channels] per sample (NHWC); shapes exclude the batch dimension.

import NNetSyntax

/// A (height, width) pair of a 2-D layer argument.
struct Pair: Equatable {
    let height: Int, width: Int
    init(_ height: Int, _ width: Int) { self.height = height; self.width = width }
    var tuple: (height: Int, width: Int) { (height, width) }
    var text: String { height == width ? "\(height)" : "[\(height), \(width)]" }
}

/// How a 2-D layer pads its input.
enum Padding: Equatable, CustomStringConvertible {
    /// No padding: windows stay inside the input.
    case valid
    /// Output size ⌈input/stride⌉, padded evenly with the odd pixel at the bottom/right (Keras, TensorFlow).
    case same
    /// This many zeros on each side (top and bottom, left and right).
    case explicit(Pair)

    var description: String {
        switch self {
        case .valid: return "valid"
        case .same: return "same"
        case .explicit(let pair): return pair.text
        }
    }
}

enum Spatial {
    /// `name`: a positive integer (both dimensions) or `[height, width]`; `fallback` when absent.
    static func pair(_ arguments: BoundArguments, _ name: String, default fallback: Pair? = nil,
                     minimum: Int = 1) throws(Diagnostic) -> Pair {
        guard let value = arguments[name] else {
            if let fallback { return fallback }
            throw .error("missing-argument", "\(arguments.owner) needs '\(name)'", at: arguments.range)
        }
        return try pair(value, what: "'\(name)' of \(arguments.owner)", minimum: minimum)
    }

    static func pair(_ value: Value, what: String, minimum: Int) throws(Diagnostic) -> Pair {
        func integer(_ item: Value) throws(Diagnostic) -> Int {
            guard case .number(let v, _) = item.kind, v.rounded() == v, v >= Double(minimum), v < 1e6 else {
                throw .error(isNumber(item) ? "value-out-of-range" : "type-mismatch",
                             "\(what) must be \(minimum == 0 ? "a non-negative" : "a positive") integer or [height, width], found \(item.kindName) '\(item)'",
                             at: item.range)
            }
            return Int(v)
        }
        if case .list(let items) = value.kind {
            guard items.count == 2 else {
                throw .error("type-mismatch", "\(what) must be one integer or [height, width], found a list of \(items.count)",
                             at: value.range)
            }
            return Pair(try integer(items[0]), try integer(items[1]))
        }
        let single = try integer(value)
        return Pair(single, single)
    }

    private static func isNumber(_ value: Value) -> Bool {
        if case .number = value.kind { return true }
        return false
    }

    /// `padding:` as valid, same, an integer or [height, width]; `allowExplicit` false limits it to
    /// the two modes.
    static func padding(_ arguments: BoundArguments, allowExplicit: Bool = true) throws(Diagnostic) -> Padding {
        guard let value = arguments["padding"] else { return .valid }
        switch value.kind {
        case .symbol, .string:
            return try BoundArguments.symbol(value, choices: ["valid", "same"], what: "padding") == "same" ? .same : .valid
        case .number where allowExplicit, .list where allowExplicit:
            return .explicit(try pair(value, what: "'padding' of \(arguments.owner)", minimum: 0))
        default:
            throw .error("type-mismatch",
                         "'padding' of \(arguments.owner) must be \(allowExplicit ? "valid, same, an integer or [height, width]" : "valid or same"), found \(value.kindName) '\(value)'",
                         at: value.range)
        }
    }

    /// The input as (height, width, channels), or a diagnostic naming the layer and the shape.
    static func image(_ input: [Int], kind: String, name: String, at range: SourceRange) throws(Diagnostic) -> (Int, Int, Int) {
        guard input.count == 3 else {
            var help = "images are [height, width, channels]"
            if input.count == 2 {
                help = "add a channel dimension first: 'reshape \(describeShape(input + [1]))'"
            } else if input.count == 1, let side = perfectSquareRoot(input[0]) {
                help = "reshape it first, e.g. 'reshape [\(side), \(side), 1]', or load idx(...) data with 'flatten: false'"
            }
            throw .error("shape-mismatch",
                         "\(kind) '\(name)' needs an input of shape [height, width, channels], but gets \(describeShape(input)) (shapes exclude the batch dimension)",
                         at: range, help: help)
        }
        return (input[0], input[1], input[2])
    }

    private static func perfectSquareRoot(_ n: Int) -> Int? {
        let root = Int(Double(n).squareRoot().rounded())
        return root * root == n && root > 1 ? root : nil
    }

    /// Output size and top/left padding along each axis of a window sweep (convolution or
    /// pooling), or a diagnostic when the (dilated) window does not fit the padded input.
    static func sweep(input: Pair, window: Pair, noun: String = "window", stride: Pair, dilation: Pair = Pair(1, 1),
                      padding: Padding, kind: String, name: String, inputShape: [Int], at range: SourceRange) throws(Diagnostic) -> (output: Pair, pad: Pair) {
        let span = Pair((window.height - 1) * dilation.height + 1, (window.width - 1) * dilation.width + 1)
        /// (output size, padding before) along one axis, nil when the window does not fit.
        func axis(_ size: Int, _ span: Int, _ stride: Int, _ explicitPad: Int) -> (Int, Int)? {
            switch padding {
            case .valid:
                return size >= span ? ((size - span) / stride + 1, 0) : nil
            case .same:
                let output = (size + stride - 1) / stride
                return (output, max((output - 1) * stride + span - size, 0) / 2)
            case .explicit:
                return size + 2 * explicitPad >= span ? ((size + 2 * explicitPad - span) / stride + 1, explicitPad) : nil
            }
        }
        var explicitPad = Pair(0, 0)
        if case .explicit(let pad) = padding { explicitPad = pad }
        let rows = axis(input.height, span.height, stride.height, explicitPad.height)
        let columns = axis(input.width, span.width, stride.width, explicitPad.width)
        guard let rows, let columns else {
            let padded = Pair(input.height + 2 * explicitPad.height, input.width + 2 * explicitPad.width)
            let dilated = span == window ? "" : " (\(span.height)x\(span.width) dilated)"
            throw .error("shape-mismatch",
                         "\(kind) '\(name)' has a \(window.height)x\(window.width) \(noun)\(dilated) larger than its \(padding == .valid ? "" : "padded ")input \(padded.height)x\(padded.width) (input \(describeShape(inputShape)), padding \(padding))",
                         at: range,
                         help: "use padding: same, a smaller \(noun), or a larger input; shapes exclude the batch dimension")
        }
        return (Pair(rows.0, columns.0), Pair(rows.1, columns.1))
    }
}
