// A readable, indented dump of the AST: one node per line, children indented two spaces,
// keyword arguments and settings shown as `label: node`. Used by `--dump=ast` and snapshots.
// Stage: syntax.

extension Program {
    /// The whole program, e.g.
    ///
    ///     program model.nnet
    ///       let classes
    ///         number 10
    ///       model classifier
    ///         layer h1: dense
    ///           number 32
    ///           activation: identifier relu
    ///
    /// With `ranges`, each node ends with the `@line:column` where it starts.
    public func dump(ranges: Bool = false) -> String {
        var printer = TreePrinter(ranges: ranges)
        printer.line("program \(file.name)", at: nil)
        printer.indented { printer in
            for statement in statements { printer.statement(statement) }
        }
        return printer.output
    }
}

extension Statement {
    /// This statement alone, in the format of `Program.dump`.
    public func dump(ranges: Bool = false) -> String {
        var printer = TreePrinter(ranges: ranges)
        printer.statement(self)
        return printer.output
    }
}

extension Expr {
    /// This expression alone, in the format of `Program.dump`.
    public func dump(ranges: Bool = false) -> String {
        var printer = TreePrinter(ranges: ranges)
        printer.expression(self)
        return printer.output
    }
}

private struct TreePrinter {
    let ranges: Bool
    var output = ""
    var indent = 0

    init(ranges: Bool) { self.ranges = ranges }

    mutating func line(_ text: String, at range: SourceRange?) {
        if !output.isEmpty { output += "\n" }
        output += String(repeating: "  ", count: indent) + text
        if ranges, let range {
            let (line, column) = range.file.lineColumn(of: range.start)
            output += " @\(line):\(column)"
        }
    }

    mutating func indented(_ body: (inout TreePrinter) -> Void) {
        indent += 1
        body(&self)
        indent -= 1
    }

    mutating func statement(_ statement: Statement) {
        let at = statement.range
        switch statement.kind {
        case .constant(let name, let value):
            line("let \(name)", at: at)
            indented { $0.expression(value) }
        case .data(let name, let value):
            line("data \(name)", at: at)
            indented { $0.expression(value) }
        case .model(let model):
            line("model \(model.name)", at: at)
            indented { printer in
                for layer in model.layers {
                    let name = layer.name.map { "\($0): " } ?? ""
                    printer.line("layer \(name)\(layer.kind)", at: layer.range)
                    printer.indented { $0.arguments(layer.arguments) }
                }
            }
        case .train(let model, let dataset, let settings):
            line("train \(model)", at: at)
            indented { printer in
                printer.expression(dataset, label: "on")
                for setting in settings { printer.expression(setting.value, label: setting.key.name) }
            }
        case .evaluate(let model, let dataset):
            line("evaluate \(model)", at: at)
            indented { $0.expression(dataset, label: "on") }
        case .predict(let model, let dataset, let arguments):
            line("predict \(model)", at: at)
            indented { printer in
                printer.expression(dataset, label: "on")
                printer.arguments(arguments)
            }
        case .print(let values):
            line("print", at: at)
            indented { printer in
                for value in values { printer.expression(value) }
            }
        case .save(let model, let path):
            line("save \(model)", at: at)
            indented { $0.expression(path, label: "to") }
        case .load(let model, let path):
            line("load \(model)", at: at)
            indented { $0.expression(path, label: "from") }
        case .pairing(let kind, let name, let settings):
            line("\(kind.rawValue) \(name)", at: at)
            indented { printer in
                for setting in settings { printer.expression(setting.value, label: setting.key.name) }
            }
        case .sample(let model, let path, let arguments):
            line("sample \(model)", at: at)
            indented { printer in
                printer.expression(path, label: "to")
                printer.arguments(arguments)
            }
        }
    }

    mutating func arguments(_ arguments: [Argument]) {
        for argument in arguments { expression(argument.value, label: argument.label?.name) }
    }

    mutating func expression(_ expr: Expr, label: String? = nil) {
        let prefix = label.map { "\($0): " } ?? ""
        switch expr.kind {
        case .number(let value, let isInteger):
            line(prefix + "number " + numberText(value, isInteger: isInteger), at: expr.range)
        case .string(let contents):
            line(prefix + "string " + quoted(contents), at: expr.range)
        case .identifier(let name):
            line(prefix + "identifier " + name, at: expr.range)
        case .list(let elements):
            line(prefix + "list", at: expr.range)
            indented { printer in
                for element in elements { printer.expression(element) }
            }
        case .call(let callee, let arguments):
            line(prefix + "call \(callee)", at: expr.range)
            indented { $0.arguments(arguments) }
        case .member(let base, let member):
            line(prefix + "member \(member)", at: expr.range)
            indented { $0.expression(base) }
        case .binary(let op, let left, let right):
            line(prefix + "binary \(op.rawValue)", at: expr.range)
            indented { printer in
                printer.expression(left)
                printer.expression(right)
            }
        case .unary(let op, let operand):
            line(prefix + "unary \(op.rawValue)", at: expr.range)
            indented { $0.expression(operand) }
        }
    }

    /// Integers as written (`10`), others in Swift's shortest form (`0.001`, `1e-05`, `2.0`).
    func numberText(_ value: Double, isInteger: Bool) -> String {
        if isInteger, let integer = Int(exactly: value) { return String(integer) }
        return String(value)
    }
}
