// What a training checkpoint holds: weights, optimizer state, the dropout generator, the position
// in the data, the epoch's running sums, and fingerprints of the model and the settings, so a
// resumed run continues exactly where the saved one stopped. Stage: runtime (checkpoint).

import NNetIR

/// The complete state of one `train` statement between two steps.
public struct Checkpoint: Sendable {
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// Where training stands. `epochsDone` and `batchIndex` count within this `train` statement;
    /// the data order of the next batch is epoch `epochsBefore + epochsDone`, batch `batchIndex`.
    public struct Position: Sendable, Equatable {
        /// Epochs the model had been trained before this statement (earlier `train` statements).
        public var epochsBefore: Int
        /// Complete epochs of this statement.
        public var epochsDone: Int
        /// The next batch of the current epoch (0 at an epoch boundary).
        public var batchIndex: Int
        /// Steps taken by this statement, skipped ones included.
        public var stepsDone: Int
        public init(epochsBefore: Int, epochsDone: Int = 0, batchIndex: Int = 0, stepsDone: Int = 0) {
            self.epochsBefore = epochsBefore
            self.epochsDone = epochsDone
            self.batchIndex = batchIndex
            self.stepsDone = stepsDone
        }
    }

    /// Running sums of the epoch in progress, so its reported loss covers all its batches.
    public struct EpochSums: Sendable, Equatable {
        public var loss: Double = 0
        public var samples = 0
        public var metrics: [Double]
        public init(metrics: Int) { self.metrics = [Double](repeating: 0, count: metrics) }
        public init(loss: Double, samples: Int, metrics: [Double]) {
            self.loss = loss
            self.samples = samples
            self.metrics = metrics
        }
    }

    public var modelHash: UInt64
    public var settingsHash: UInt64
    /// `dense h1` per layer: what the model hash covers besides the parameters.
    public var layers: [String]
    /// The settings that shape the trajectory, as written in the program (`lr` = `0.001`).
    public var settings: [(key: String, value: String)]
    public var position: Position
    public var sums: EpochSums
    /// The dropout generator's state (`Executor.randomState`).
    public var randomState: [UInt64]
    /// `adam`, `sgd`, `gd`: the layout of `optimizerState`.
    public var optimizerKind: String
    public var optimizerStep: Int
    public var optimizerState: [Float]
    public var parameters: [Tensor]
    /// A pairing's second model and its optimizer (a GAN's discriminator, a VAE's decoder); nil
    /// for `train`. The first model's are the fields above.
    public var companion: Companion?
    /// A pairing's other generators, in an order its trainer fixes (the noise generator, each
    /// executor's dropout generator).
    public var extraRandomStates: [[UInt64]] = []
    /// A pairing's running sums of the epoch in progress (its losses and scores).
    public var counters: [Double] = []
    /// A pairing's sample order for the epoch in progress (each epoch reshuffles the last one's).
    public var order: [Int] = []
    /// A moving average of the first model's weights (a GAN's `generator_ema`), or nil.
    public var averagedWeights: AveragedWeights?

    /// The second model of a pairing with its optimizer's state.
    public struct Companion: Sendable {
        public var optimizerKind: String
        public var optimizerStep: Int
        public var optimizerState: [Float]
        public var parameters: [Tensor]
        public init(optimizerKind: String, optimizerStep: Int, optimizerState: [Float], parameters: [Tensor]) {
            self.optimizerKind = optimizerKind
            self.optimizerStep = optimizerStep
            self.optimizerState = optimizerState
            self.parameters = parameters
        }
    }

    /// A moving average of a model's weights and how many updates made it (its warm-up).
    public struct AveragedWeights: Sendable {
        public var updates: Int
        public var parameters: [Tensor]
        public init(updates: Int, parameters: [Tensor]) {
            self.updates = updates
            self.parameters = parameters
        }
    }

    public init(modelHash: UInt64, settingsHash: UInt64, layers: [String], settings: [(key: String, value: String)],
                position: Position, sums: EpochSums, randomState: [UInt64], optimizerKind: String,
                optimizerStep: Int, optimizerState: [Float], parameters: [Tensor], companion: Companion? = nil,
                extraRandomStates: [[UInt64]] = [], counters: [Double] = [], order: [Int] = [],
                averagedWeights: AveragedWeights? = nil) {
        self.modelHash = modelHash
        self.settingsHash = settingsHash
        self.layers = layers
        self.settings = settings
        self.position = position
        self.sums = sums
        self.randomState = randomState
        self.optimizerKind = optimizerKind
        self.optimizerStep = optimizerStep
        self.optimizerState = optimizerState
        self.parameters = parameters
        self.companion = companion
        self.extraRandomStates = extraRandomStates
        self.counters = counters
        self.order = order
        self.averagedWeights = averagedWeights
    }

    /// Whether every stored float is finite (a checkpoint holding NaN is never written).
    public var isFinite: Bool {
        let companionFinite = companion.map {
            $0.parameters.allSatisfy { $0.values.allSatisfy(\.isFinite) } && $0.optimizerState.allSatisfy(\.isFinite)
        } ?? true
        let averageFinite = averagedWeights?.parameters.allSatisfy { $0.values.allSatisfy(\.isFinite) } ?? true
        return parameters.allSatisfy { $0.values.allSatisfy(\.isFinite) } && optimizerState.allSatisfy(\.isFinite)
            && companionFinite && averageFinite && counters.allSatisfy(\.isFinite)
    }
}

// MARK: - Fitting a model

extension Checkpoint {
    /// How the checkpoint's parameters differ from the model's, one line per parameter:
    /// `'h1.weight' is [2, 8] in the checkpoint but [2, 16] in the model`. Empty when they fit.
    public func parameterMismatches(_ model: LoweredModel) -> [String] {
        Checkpoint.mismatches(parameters, model)
    }

    /// The same for a pairing's two models (a missing companion is a mismatch of every parameter).
    public func parameterMismatches(_ first: LoweredModel, _ second: LoweredModel) -> [String] {
        Checkpoint.mismatches(parameters, first).map { "\(first.name): \($0)" }
            + Checkpoint.mismatches(companion?.parameters ?? [], second).map { "\(second.name): \($0)" }
    }

    static func mismatches(_ parameters: [Tensor], _ model: LoweredModel) -> [String] {
        var problems: [String] = []
        for info in model.parameters {
            guard let tensor = parameters.first(where: { $0.name == info.name }) else {
                problems.append("'\(info.name)' \(describeShape(info.shape)) is new: the checkpoint lacks it")
                continue
            }
            if tensor.shape != info.shape {
                problems.append("'\(info.name)' is \(describeShape(tensor.shape)) in the checkpoint but \(describeShape(info.shape)) in the model")
            }
        }
        for tensor in parameters where !model.parameters.contains(where: { $0.name == tensor.name }) {
            problems.append("'\(tensor.name)' \(describeShape(tensor.shape)) is in the checkpoint but no longer in the model")
        }
        return problems
    }

    /// Copies the weights into `instance` and sets its trained-epoch count to the checkpoint's.
    /// Throws CheckpointError when the parameters do not fit (nothing is changed then).
    public func restoreWeights(into instance: ModelInstance) throws {
        let problems = parameterMismatches(instance.model)
        guard problems.isEmpty else {
            throw CheckpointError(path: "checkpoint", "does not fit model '\(instance.name)': " + problems.joined(separator: "; "))
        }
        Checkpoint.copy(parameters, into: instance)
        instance.epochsTrained = position.epochsBefore + position.epochsDone
    }

    /// Copies a pairing's weights into its two models (nothing is changed when they do not fit).
    public func restorePairWeights(into first: ModelInstance, _ second: ModelInstance) throws {
        let problems = parameterMismatches(first.model, second.model)
        guard problems.isEmpty, let companion else {
            throw CheckpointError(path: "checkpoint", "does not fit models '\(first.name)' and '\(second.name)': "
                                  + problems.joined(separator: "; "))
        }
        Checkpoint.copy(parameters, into: first)
        Checkpoint.copy(companion.parameters, into: second)
    }

    static func copy(_ parameters: [Tensor], into instance: ModelInstance) {
        for (index, info) in instance.parameters.infos.enumerated() {
            instance.parameters.setValues(index, parameters.first { $0.name == info.name }!.values)
        }
    }

    /// The tensors of a model's parameters, as a checkpoint stores them.
    public static func tensors(of store: ParameterStore) -> [Tensor] {
        store.infos.indices.map { Tensor(name: store.infos[$0].name, shape: store.infos[$0].shape, values: store.values($0)) }
    }
}

// MARK: - Fingerprints

public enum Fingerprint {
    /// FNV-1a, 64-bit: stable across runs and platforms (Swift's `Hasher` is seeded per process).
    public static func hash(_ parts: [String]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in parts {
            for byte in part.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            hash = (hash ^ 0x1f) &* 0x100_0000_01b3  // separator, so ["ab", "c"] != ["a", "bc"]
        }
        return hash
    }

    /// `dense h1`, one per layer.
    public static func layers(of model: LoweredModel) -> [String] {
        model.layers.map { "\($0.kind) \($0.name)" }
    }

    /// Layer kinds and names, parameter names and shapes.
    public static func model(_ model: LoweredModel) -> UInt64 {
        hash(layers(of: model) + model.parameters.map { "\($0.name) \($0.shape)" })
    }

    /// The settings that decide what training does, in a fixed order; the optimizer is spread
    /// into its hyperparameters so each change can be named.
    public static func settings(_ configuration: TrainingConfiguration, data: Dataset) -> [(key: String, value: String)] {
        let optimizer = configuration.optimizer
        var pairs: [(key: String, value: String)] = [("loss", configuration.loss.rawValue)]
        pairs += hyperparameters(optimizer)
        pairs += [
            ("epochs", String(configuration.epochs)),
            ("batch", configuration.batchSize.map(String.init) ?? "all"),
            ("seed", String(configuration.seed)),
            ("shuffle", String(configuration.shuffle)),
            ("clip_norm", optimizer.clipNorm.map(format) ?? "none"),
            ("clip_value", optimizer.clipValue.map(format) ?? "none"),
            ("on_nan", configuration.onNonFinite.rawValue),
            ("data", "\(data.count) samples"),
        ]
        return pairs
    }

    /// An optimizer spread into its kind and hyperparameters, keys prefixed (`generator_lr`).
    public static func settings(_ optimizer: OptimizerSettings, prefix: String) -> [(key: String, value: String)] {
        let pairs = hyperparameters(optimizer)
            + [("clip_norm", optimizer.clipNorm.map(format) ?? "none"), ("clip_value", optimizer.clipValue.map(format) ?? "none")]
        return pairs.map { (prefix + $0.key, $0.value) }
    }

    /// The optimizer's kind and hyperparameters, in the order every settings list uses.
    static func hyperparameters(_ optimizer: OptimizerSettings) -> [(key: String, value: String)] {
        switch optimizer.kind {
        case .gd:
            return [("optimizer", "gd"), ("lr", format(optimizer.learningRate))]
        case .sgd(let momentum, let nesterov):
            return [("optimizer", "sgd"), ("lr", format(optimizer.learningRate)), ("momentum", format(momentum)),
                    ("nesterov", String(nesterov))]
        case .adam(let beta1, let beta2, let epsilon):
            return [("optimizer", "adam"), ("lr", format(optimizer.learningRate)), ("beta1", format(beta1)),
                    ("beta2", format(beta2)), ("epsilon", format(epsilon))]
        }
    }

    /// The settings every pairing's run ends with: epochs, batch, seed and the data's size.
    static func run(epochs: Int, batch: Int, seed: UInt64, data: Dataset) -> [(key: String, value: String)] {
        [("epochs", String(epochs)), ("batch", String(batch)), ("seed", String(seed)), ("data", "\(data.count) samples")]
    }

    public static func hash(settings: [(key: String, value: String)]) -> UInt64 {
        hash(settings.flatMap { [$0.key, $0.value] })
    }

    /// The settings whose values differ, in order (a key missing on one side shows as `none`).
    public static func changes(from old: [(key: String, value: String)], to new: [(key: String, value: String)])
        -> [(key: String, old: String, new: String)] {
        var result: [(key: String, old: String, new: String)] = []
        for (key, value) in new {
            let before = old.first { $0.key == key }?.value ?? "none"
            if before != value { result.append((key, before, value)) }
        }
        for (key, value) in old where !new.contains(where: { $0.key == key }) {
            result.append((key, value, "none"))
        }
        return result
    }

    /// Shortest text that reads back to the same Float: `0.001`, not `0.0010000000474974513`.
    public static func format(_ value: Float) -> String {
        let text = "\(value)"
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}
