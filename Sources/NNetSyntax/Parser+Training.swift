// The train statement and its settings block (`loss: mse, epochs: 5`).
// Stage: syntax (tokens -> AST).

extension Parser {
    /// train_statement = "train" identifier "on" expression [ settings ] ;
    func parseTrainStatement() -> StatementKind? {
        guard let (model, dataset) = parseModelOnDataset("train") else { return nil }
        guard check(.leftBrace) else {
            if !atItemEnd {
                error("expected '{' or a newline after the dataset of train statement, found \(current.displayName)")
                return nil
            }
            return .train(model: model, dataset: dataset, settings: [])
        }
        guard let settings = parseSettings(of: model) else { return nil }
        return .train(model: model, dataset: dataset, settings: settings)
    }

    /// settings = "{" { separator } { setting ( "," { separator } | separator { separator } ) } [ setting ] "}" ;
    func parseSettings(of model: Identifier) -> [Setting]? {
        parseBlock(closing: "the settings of train '\(model)'", item: { $0.parseSetting() })
    }

    /// setting = identifier ":" expression ;
    /// Also consumes the `,` that may follow it.
    func parseSetting() -> Setting? {
        guard let key = expectIdentifier("a setting name") else { return nil }
        guard match(.colon) else {
            error("expected ':' after setting name '\(key)', found \(current.displayName)")
            return nil
        }
        guard let value = parseExpression(expected: "a value for setting '\(key)'") else { return nil }
        guard match(.comma) || atItemEnd else {
            error("expected ',' or a newline after setting '\(key)', found \(current.displayName)")
            return nil
        }
        return Setting(key: key, value: value)
    }
}
