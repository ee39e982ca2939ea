// `print naive_mse(data.split)`: the "repeat the last value" forecast's error on a sequence
// dataset, the baseline a sequence model's validation MSE is compared with. Stage: driver.

import NNetSyntax
import NNetIR
import NNetRuntime

extension Interpreter {
    static let naiveMSEName = "naive_mse"

    /// Prints `naive_mse on NAME: mse V (N sequences, each next value predicted as the last)`.
    func printNaiveMSE(_ arguments: [Argument], at range: SourceRange) throws {
        guard arguments.count == 1, arguments[0].label == nil else {
            throw StatementFailure.diagnostics([.error(
                "invalid-argument", "\(Interpreter.naiveMSEName) takes one dataset split", at: range,
                help: "e.g. print \(Interpreter.naiveMSEName)(waves.validation)")])
        }
        guard let (data, name) = try dataset(arguments[0].value) else { return }
        do {
            let mse = try data.naiveForecastMSE()
            console.line("\(Interpreter.naiveMSEName) on \(name): mse \(formatMetric(mse)) (\(data.count) sequences, each next value predicted as the last)")
        } catch {
            throw StatementFailure.diagnostics([.error("data-mismatch", "\(Interpreter.naiveMSEName) of '\(name)' \(error)",
                                                       at: arguments[0].value.range,
                                                       help: "it measures forecasting data such as sine(n: 200, length: 20)")])
        }
    }
}
