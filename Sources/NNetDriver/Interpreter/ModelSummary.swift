// The per-layer table `nnet check` and `print MODEL` show: name, kind, output shape, parameters.
// Stage: driver.

import NNetIR

enum ModelSummary {
    static func render(_ model: LoweredModel) -> String {
        var rows: [[String]] = [["layer", "kind", "output shape", "parameters", ""]]
        rows.append(["input", "input", describeShape(model.inputShape), "0", ""])
        for layer in model.layers {
            let count = layer.parameterIndices.reduce(0) { $0 + model.parameters[$1].count }
            rows.append([layer.name, layer.kind, describeShape(layer.outputShape), grouped(count), layer.config.detail])
        }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = ["model \(model.name) (shapes exclude the batch dimension)"]
        for (index, row) in rows.enumerated() {
            let cells = row.enumerated().map { column, cell in
                column == 3 ? String(repeating: " ", count: widths[column] - cell.count) + cell
                    : cell + String(repeating: " ", count: widths[column] - cell.count)
            }
            lines.append(("  " + cells.joined(separator: "  ")).trimmingTrailingSpaces())
            if index == 0 {
                lines.append("  " + String(repeating: "-", count: widths.reduce(0, +) + 8))
            }
        }
        let bytes = Double(model.parameterCount * 4)
        lines.append("  total: \(grouped(model.parameterCount)) parameters (\(formatBytes(bytes)) as float32)")
        return lines.joined(separator: "\n")
    }

    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, digit) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }

    static func formatBytes(_ bytes: Double) -> String {
        if bytes >= 1_048_576 { return String(format: "%.1f MiB", bytes / 1_048_576) }
        if bytes >= 1024 { return String(format: "%.1f KiB", bytes / 1024) }
        return "\(Int(bytes)) B"
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}

import Foundation
