// A readable listing of a graph, one node per line, for `nnet check --dump ir`. Stage: IR.

extension Graph {
    public func dump(title: String) -> String {
        var lines = ["graph \(title): \(nodes.count) nodes, \(parameters.count) parameters"]
        for node in nodes {
            let inputs = node.inputs.map { "%\($0)" }.joined(separator: ", ")
            let shape = (node.isBatched ? "[B" + (node.shape.isEmpty ? "" : ", ") : "[")
                + node.shape.map(String.init).joined(separator: ", ") + "]"
            var line = "  %\(node.id) = \(node.op.name)(\(inputs)) : \(shape)"
            if case .parameter(let index) = node.op { line += "  \(parameters[index].name)" }
            if node.id == output { line += "  # output" }
            if node.id == loss { line += "  # loss" }
            if let index = parameterGradients.firstIndex(of: node.id) { line += "  # gradient of \(parameters[index].name)" }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
