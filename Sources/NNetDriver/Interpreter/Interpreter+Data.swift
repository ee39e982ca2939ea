// `data` statements: dataset constructors, their preprocessing options, and dataset references
// such as `fashion.test`. Stage: driver.

import NNetSyntax
import NNetIR
import NNetRuntime

extension Interpreter {
    /// Options every constructor accepts, applied after loading in this order.
    static let preprocessingParameters = [
        ParameterSpec("scale", expects: "a number multiplying every feature, e.g. 1/255"),
        ParameterSpec("flatten", expects: "true to turn each sample into a vector"),
        ParameterSpec("one_hot", expects: "true to turn class labels into one-hot vectors"),
        ParameterSpec("standardize", expects: "true to give each feature zero mean and unit variance (training statistics)"),
        ParameterSpec("test", expects: "a fraction of the samples held out as the 'test' split"),
        ParameterSpec("validation", expects: "a fraction of the training samples held out as the 'validation' split"),
        ParameterSpec("seed", expects: "an integer seed"),
    ]

    static let constructors: [String: Signature] = [
        "idx": Signature("dataset 'idx'", [
            ParameterSpec("path", expects: "a directory holding train-/t10k- IDX files", required: true, positional: true),
        ] + preprocessingParameters),
        "csv": Signature("dataset 'csv'", [
            ParameterSpec("path", expects: "a CSV file", required: true, positional: true),
            ParameterSpec("target", expects: "the target column: a name, an index, or a list of them"),
            ParameterSpec("header", expects: "true when the first row names the columns"),
            ParameterSpec("classes", expects: "true when the target column holds integer class labels"),
        ] + preprocessingParameters),
        "linear": Signature("dataset 'linear'", [
            ParameterSpec("n", expects: "the number of samples", required: true),
            ParameterSpec("weights", expects: "a list of weights, one per feature", required: true),
            ParameterSpec("bias", expects: "a number"),
            ParameterSpec("noise", expects: "the standard deviation of Gaussian noise"),
            ParameterSpec("range", expects: "[low, high] for the features"),
        ] + preprocessingParameters),
        "blobs": Signature("dataset 'blobs'", [
            ParameterSpec("n", expects: "the number of samples", required: true),
            ParameterSpec("centers", expects: "the number of classes"),
            ParameterSpec("features", expects: "the number of features"),
            ParameterSpec("spread", expects: "the standard deviation around each centre"),
        ] + preprocessingParameters),
        "sine": Signature("dataset 'sine'", [
            ParameterSpec("n", expects: "the number of sequences", required: true),
            ParameterSpec("length", expects: "the number of time steps", required: true),
            ParameterSpec("noise", expects: "the standard deviation of Gaussian noise"),
        ] + preprocessingParameters),
        "samples": Signature("dataset 'samples'", [
            ParameterSpec("from", expects: "a gan (its generator draws them) or a vae (its decoder, from the prior)",
                          required: true, positional: true),
            ParameterSpec("n", expects: "the number of samples", required: true),
        ] + preprocessingParameters),
        "waves": Signature("dataset 'waves'", [
            ParameterSpec("n", expects: "the number of sequences", required: true),
            ParameterSpec("length", expects: "the number of time steps", required: true),
            ParameterSpec("classes", expects: "the number of waveform classes"),
            ParameterSpec("noise", expects: "the standard deviation of Gaussian noise"),
        ] + preprocessingParameters),
    ]

    /// Builds the dataset a `data` statement describes (in check mode: checks its arguments only).
    func makeDataset(named name: String, from value: Value) throws -> DatasetGroup? {
        guard case .call(let callee, let arguments) = value.kind else {
            throw StatementFailure.diagnostics([.error(
                "type-mismatch", "expected a dataset constructor such as idx(\"path\") or blobs(n: 200), found \(value.kindName) '\(value)'",
                at: value.range, help: "constructors: \(Interpreter.constructors.keys.sorted().joined(separator: ", "))")])
        }
        guard let signature = Interpreter.constructors[callee.name] else {
            throw StatementFailure.diagnostics([.error(
                "unknown-dataset-constructor", "unknown dataset constructor '\(callee.name)'", at: callee.range,
                help: closestMatch(to: callee.name, in: Array(Interpreter.constructors.keys)).map { "did you mean '\($0)'?" }
                    ?? "constructors: \(Interpreter.constructors.keys.sorted().joined(separator: ", "))")])
        }
        unlabelledDatasets.remove(name)
        do throws(Diagnostic) {
            let bound = try Binder.bind(arguments, to: signature, at: value.range)
            let seed = UInt64(try bound.integer("seed", default: Int(options.seed % 1_000_000_007), minimum: 0))
            var group = try load(callee.name, bound, seed: seed, name: name)
            guard let loaded = group else {
                // Check mode reads no data, but the split names are known from the arguments.
                var names = callee.name == "idx" ? ["train", "test"] : ["train"]
                if bound.has("test"), !names.contains("test") { names.append("test") }
                if bound.has("validation") { names.append("validation") }
                plannedSplits[name] = names
                return nil
            }
            group = try preprocess(loaded, bound, seed: seed, constructor: callee.name)
            return group
        } catch {
            throw StatementFailure.diagnostics([error])
        }
    }

    private func load(_ constructor: String, _ bound: BoundArguments, seed: UInt64,
                      name: String) throws(Diagnostic) -> DatasetGroup? {
        // Check every argument's type before reading anything, so `check` finds the same errors.
        let fraction = { (key: String) throws(Diagnostic) -> Double in
            try bound.number(key, default: 0, in: 0...1, exclusiveUpper: true)
        }
        _ = try fraction("test"); _ = try fraction("validation")
        _ = try bound.bool("flatten", default: false); _ = try bound.bool("one_hot", default: false)
        _ = try bound.bool("standardize", default: false)
        if bound.has("scale") { _ = try bound.number("scale") }
        do {
            switch constructor {
            case "idx":
                let path = try bound.string("path")
                if options.checkOnly { return nil }
                // Scaling while decoding saves a pass over (and a copy of) the images.
                let scale = bound.has("scale") ? Float(try bound.number("scale")) : nil
                return try IDXLoader.loadDirectory(path, scale: scale, flatten: false).renamed(name)
            case "csv":
                let path = try bound.string("path")
                let header = try bound.bool("header", default: true)
                let classes = try bound.bool("classes", default: false)
                let targets = try csvTargets(bound)
                if options.checkOnly { return nil }
                let dataset = try CSVLoader.load(path: path, target: targets, header: header, classLabels: classes)
                return DatasetGroup(name: name, splits: [("train", dataset)])
            case "linear":
                let n = try bound.integer("n", minimum: 1)
                let weights = try numbers(bound, "weights")
                let bias = try bound.number("bias", default: 0)
                let noise = try bound.number("noise", default: 0)
                var range: ClosedRange<Float> = -1...1
                if bound.has("range") {
                    let limits = try numbers(bound, "range")
                    guard limits.count == 2, limits[0] < limits[1] else {
                        throw Diagnostic.error("invalid-argument", "'range' must be [low, high] with low < high", at: bound["range"]!.range)
                    }
                    range = limits[0]...limits[1]
                }
                if options.checkOnly { return nil }
                let data = try Synthetic.linear(n: n, weights: weights, bias: Float(bias), noise: Float(noise), range: range, seed: seed)
                return DatasetGroup(name: name, splits: [("train", data)])
            case "blobs":
                let n = try bound.integer("n", minimum: 2)
                let centers = try bound.integer("centers", default: 2, minimum: 2)
                let features = try bound.integer("features", default: 2, minimum: 1)
                let spread = try bound.number("spread", default: 1, in: 0...1e6)
                if options.checkOnly { return nil }
                let data = try Synthetic.blobs(n: n, centers: centers, features: features, spread: Float(spread), seed: seed)
                return DatasetGroup(name: name, splits: [("train", data)])
            case "sine", "waves":
                let n = try bound.integer("n", minimum: 1)
                let length = try bound.integer("length", minimum: 2)
                let noise = Float(try bound.number("noise", default: 0, in: 0...1e6))
                let classes = constructor == "waves" ? try bound.integer("classes", default: 4, minimum: 2) : 0
                if options.checkOnly { return nil }
                let data = constructor == "sine"
                    ? try Synthetic.sine(n: n, length: length, noise: noise, seed: seed)
                    : try Synthetic.waves(n: n, length: length, classes: classes, noise: noise, seed: seed)
                return DatasetGroup(name: name, splits: [("train", data)])
            case "samples":
                return try generatedSamples(bound, seed: seed, name: name)
            default:
                return nil
            }
        } catch let error as Diagnostic {
            throw error
        } catch {
            throw Diagnostic.error("data-error", "\(error)", at: bound.range)
        }
    }

    private func numbers(_ bound: BoundArguments, _ key: String) throws(Diagnostic) -> [Float] {
        guard let value = bound[key] else { return [] }
        let items: [Value]
        if case .list(let list) = value.kind { items = list } else { items = [value] }
        var result: [Float] = []
        for item in items {
            guard case .number(let v, _) = item.kind else {
                throw .error("type-mismatch", "'\(key)' must be a list of numbers, found \(item.kindName) '\(item)'", at: item.range)
            }
            result.append(Float(v))
        }
        return result
    }

    private func csvTargets(_ bound: BoundArguments) throws(Diagnostic) -> [CSVColumn] {
        guard let value = bound["target"] else { return [.index(-1)] }
        let items: [Value]
        if case .list(let list) = value.kind { items = list } else { items = [value] }
        var columns: [CSVColumn] = []
        for item in items {
            switch item.kind {
            case .string(let s): columns.append(.name(s))
            case .symbol(let s): columns.append(.name(s))
            case .number(let v, true) where abs(v) < 1e9: columns.append(.index(Int(v)))
            case .number(_, true):
                throw .error("value-out-of-range", "CSV target column \(item) is out of range", at: item.range)
            default:
                throw .error("type-mismatch", "a CSV target is a column name or index, found \(item.kindName) '\(item)'", at: item.range)
            }
        }
        return columns
    }

    /// Applies the preprocessing options in a fixed order: split off test and validation data,
    /// then scale, flatten, standardise (with training statistics) and one-hot encode every split.
    private func preprocess(_ group: DatasetGroup, _ bound: BoundArguments, seed: UInt64,
                            constructor: String) throws(Diagnostic) -> DatasetGroup {
        var splits = group.splits
        func carve(_ key: String, from source: String) throws(Diagnostic) {
            let fraction = try bound.number(key, default: 0, in: 0...1, exclusiveUpper: true)
            guard fraction > 0, let index = splits.firstIndex(where: { $0.name == source }) else { return }
            if splits.contains(where: { $0.name == key }) {
                throw .error("invalid-argument", "this dataset already has a '\(key)' split", at: bound[key]!.range)
            }
            let (held, kept) = splits[index].dataset.split(fraction: Float(fraction), seed: seed &+ UInt64(key.count))
            guard kept.count > 0, held.count > 0 else {
                throw .error("invalid-argument", "'\(key): \(fraction)' leaves an empty split", at: bound[key]!.range)
            }
            splits[index].dataset = kept
            splits.append((key, held))
        }
        try carve("test", from: "train")
        try carve("validation", from: "train")
        if bound.has("scale"), constructor != "idx" {
            let factor = Float(try bound.number("scale"))
            splits = splits.map { ($0.name, $0.dataset.scaled(by: factor)) }
        }
        if try bound.bool("flatten", default: false) {
            splits = splits.map { ($0.name, $0.dataset.flattened()) }
        }
        if try bound.bool("standardize", default: false), let train = splits.first(where: { $0.name == "train" }) {
            let statistics = train.dataset.featureStatistics()
            do {
                splits = try splits.map { ($0.name, try $0.dataset.standardized(using: statistics)) }
            } catch {
                throw .error("data-error", "\(error)", at: bound["standardize"]!.range)
            }
        }
        if try bound.bool("one_hot", default: false) {
            do {
                splits = try splits.map { ($0.name, try $0.dataset.oneHot()) }
            } catch {
                throw .error("data-error", "\(error)", at: bound["one_hot"]!.range)
            }
        }
        return DatasetGroup(name: group.name, splits: splits)
    }

    // MARK: - References

    /// Resolves `name` (its training split) or `name.split` to a dataset and a display name.
    /// In check mode, returns nil after checking the names that can be checked without data.
    func dataset(_ expr: Expr) throws -> (data: Dataset, name: String)? {
        var groupName: Identifier
        var split: Identifier?
        switch expr.kind {
        case .identifier(let name):
            groupName = Identifier(name, range: expr.range)
        case .member(let base, let member):
            guard case .identifier(let name) = base.kind else {
                throw StatementFailure.diagnostics([.error("type-mismatch", "expected a dataset such as 'fashion.train'", at: expr.range)])
            }
            groupName = Identifier(name, range: base.range)
            split = member
        default:
            throw StatementFailure.diagnostics([.error("type-mismatch", "expected a dataset such as 'fashion.train'", at: expr.range)])
        }
        guard definitions[groupName.name]?.kind == "dataset" else {
            throw StatementFailure.diagnostics([unknownName(groupName.name, at: groupName.range, kind: "dataset",
                                                            candidates: definitions.filter { $0.value.kind == "dataset" }.map(\.key))])
        }
        let splitName = split?.name ?? "train"
        let available = datasets[groupName.name]?.splitNames ?? plannedSplits[groupName.name] ?? []
        guard available.contains(splitName) else {
            let range = split?.range ?? expr.range
            throw StatementFailure.diagnostics([.error(
                "unknown-split", "dataset '\(groupName.name)' has no split '\(splitName)'", at: range,
                help: closestMatch(to: splitName, in: available).map { "did you mean '\($0)'?" }
                    ?? "its splits are \(available.joined(separator: ", "))")])
        }
        guard let data = datasets[groupName.name]?.split(splitName) else { return nil }
        return (data, "\(groupName.name).\(splitName)")
    }
}

extension DatasetGroup {
    func renamed(_ name: String) -> DatasetGroup { DatasetGroup(name: name, splits: splits) }
}
