// `nnet check FILE`: parses, lowers and shape-checks without reading data; prints each model's
// summary, or the requested dump. Stage: driver.

import NNetSyntax
import NNetIR

enum CheckCommand {
    static func run(_ options: CheckOptions, console: Console) -> ExitCode {
        guard let source = Driver.readSource(options.file, console: console) else { return .inputNotFound }
        switch options.dump {
        case .tokens:
            for token in Lexer.tokenize(source) { console.line("\(token.range): \(token)") }
            return .success
        case .ast:
            let program = Parser.parse(source)
            console.writeOut(program.dump())
            console.report(program.diagnostics)
            return program.diagnostics.isEmpty ? .success : .programError
        default:
            break
        }
        var interpreterOptions = InterpreterOptions()
        interpreterOptions.checkOnly = true
        interpreterOptions.dumpIR = options.dump == .ir
        interpreterOptions.showPlan = options.plan || options.dump == .plan
        let interpreter = Interpreter(options: interpreterOptions, console: console)
        let outcome = interpreter.execute(source)
        if outcome == .success { console.line("\(source.name): ok") }
        return outcome.exitCode
    }
}
