// `print`, `save` and `load` statements. Stage: driver.

import NNetSyntax
import NNetIR
import NNetRuntime

extension Interpreter {
    /// Prints a value: a model (its summary), a layer or parameter of a model (its values),
    /// a dataset or split (its shapes and sizes), or any constant expression.
    func printValue(_ expr: Expr) throws {
        if case .call(let callee, let arguments) = expr.kind, callee.name == Interpreter.naiveMSEName {
            return try printNaiveMSE(arguments, at: expr.range)
        }
        var path: [Identifier] = []
        var cursor = expr
        while case .member(let base, let member) = cursor.kind {
            path.insert(member, at: 0)
            cursor = base
        }
        if case .identifier(let root) = cursor.kind, constants.lookup(root) == nil, path.isEmpty || definitions[root] != nil {
            let rootName = Identifier(root, range: cursor.range)
            switch definitions[root]?.kind {
            case "model": return try printModel(rootName, path)
            case "dataset": return try printDataset(rootName, path)
            default:
                throw StatementFailure.diagnostics([unknownName(root, at: cursor.range, kind: "name",
                                                                candidates: Array(definitions.keys))])
            }
        }
        let value = try evaluate(expr)
        switch value.kind {
        case .string(let s): console.line(s)
        case .symbol(let name):
            throw StatementFailure.diagnostics([unknownName(name, at: value.range, kind: "name", candidates: Array(definitions.keys))])
        default: console.line(value.description)
        }
    }

    private func printModel(_ name: Identifier, _ path: [Identifier]) throws {
        let entry = try modelEntry(name)
        let model = entry.lowered
        guard let first = path.first else { return console.line(ModelSummary.render(model)) }
        guard let layer = model.layers.first(where: { $0.name == first.name }) else {
            throw StatementFailure.diagnostics([.error("unknown-layer-name", "model '\(name.name)' has no layer '\(first.name)'",
                                                       at: first.range,
                                                       help: closestMatch(to: first.name, in: model.layers.map(\.name)).map { "did you mean '\($0)'?" }
                                                          ?? "its layers are \(abbreviatedList(model.layers.map(\.name)))")])
        }
        var indices = layer.parameterIndices
        if path.count >= 2 {
            let suffix = path[1]
            guard let index = indices.first(where: { model.parameters[$0].name == "\(layer.name).\(suffix.name)" }) else {
                let names = indices.map { String(model.parameters[$0].name.split(separator: ".").last!) }
                throw StatementFailure.diagnostics([.error("unknown-parameter", "layer '\(layer.name)' has no parameter '\(suffix.name)'",
                                                           at: suffix.range,
                                                           help: names.isEmpty ? "it has no parameters" : "its parameters are \(names.joined(separator: ", "))")])
            }
            indices = [index]
        }
        if indices.isEmpty { console.line("\(name.name).\(layer.name): no parameters") }
        for index in indices {
            let info = model.parameters[index]
            guard let instance = entry.instance else { continue }
            console.line("\(name.name).\(info.name) \(describeShape(info.shape)) = \(formatTensor(instance.parameters.values(index), shape: info.shape))")
        }
    }

    private func printDataset(_ name: Identifier, _ path: [Identifier]) throws {
        guard let group = datasets[name.name] else { return }
        let splits: [(name: String, dataset: Dataset)]
        if let split = path.first {
            guard let data = group.split(split.name) else {
                throw StatementFailure.diagnostics([.error("unknown-split", "dataset '\(name.name)' has no split '\(split.name)'",
                                                           at: split.range, help: "its splits are \(group.splitNames.joined(separator: ", "))")])
            }
            splits = [(split.name, data)]
        } else {
            splits = group.splits
        }
        for (splitName, data) in splits {
            let targets = data.hasClassLabels ? "labels 0...\((data.classCount ?? 1) - 1)" : "targets \(describeShape(data.targetShape))"
            console.line("\(name.name).\(splitName): \(data.count) samples of \(describeShape(data.featureShape)), \(targets)")
        }
    }

    /// Values of a small tensor in nested brackets; large ones are abbreviated.
    func formatTensor(_ values: [Float], shape: [Int]) -> String {
        let limit = 64
        func text(_ v: Float) -> String { String(format: "%.4f", Double(v)) }
        if shape.count == 2 && values.count <= limit {
            let columns = shape[1]
            return "[" + (0..<shape[0]).map { row in
                "[" + values[row * columns ..< (row + 1) * columns].map(text).joined(separator: ", ") + "]"
            }.joined(separator: ", ") + "]"
        }
        let shown = values.prefix(limit).map(text).joined(separator: ", ")
        return "[" + shown + (values.count > limit ? ", … (\(values.count) values)" : "") + "]"
    }

    func saveWeights(_ name: Identifier, to pathExpr: Expr) throws {
        let entry = try modelEntry(name)
        let path = try stringValue(pathExpr, what: "a file path")
        guard let instance = entry.instance else { return }
        do {
            try WeightsFile.write(instance.parameters, to: path)
            console.line("saved \(name.name) (\(ModelSummary.grouped(entry.lowered.parameterCount)) parameters) to \(path)")
        } catch {
            throw StatementFailure.diagnostics([.error("io-error", "\(error)", at: pathExpr.range)])
        }
    }

    func loadWeights(_ name: Identifier, from pathExpr: Expr) throws {
        let entry = try modelEntry(name)
        let path = try stringValue(pathExpr, what: "a file path")
        guard let instance = entry.instance else { return }
        do {
            try WeightsFile.read(from: path, into: instance.parameters)
            console.line("loaded \(name.name) from \(path)")
        } catch {
            throw StatementFailure.diagnostics([.error("weights-error", "\(error)", at: pathExpr.range,
                                                       notes: [DiagnosticNote("model '\(name.name)' defined here", at: entry.lowered.declaration.name.range)])])
        }
    }

    func stringValue(_ expr: Expr, what: String) throws -> String {
        let value = try evaluate(expr)
        guard case .string(let s) = value.kind else {
            throw StatementFailure.diagnostics([.error("type-mismatch", "expected \(what) as a string, found \(value.kindName) '\(value)'", at: expr.range)])
        }
        return s
    }
}

import Foundation
