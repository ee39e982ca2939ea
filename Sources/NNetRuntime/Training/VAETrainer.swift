// Autoencoders and variational autoencoders built from an encoder and a decoder model.
// VAE: the encoder outputs [mean; log-variance] of q(z|x), z = mean + exp(log-variance/2)·ε
// (the reparameterisation trick), the decoder reconstructs x from z, and the loss per sample is
// the reconstruction loss summed over the output plus β·KL(q(z|x) ‖ N(0, I)). An autoencoder
// feeds the encoder's output straight to the decoder. Every training step is checked for NaN/Inf;
// checkpoints and resume are in VAETrainer+Checkpoint.swift. Stage: runtime (training).

import Foundation
import NNetIR
import NNetKernels

public struct VAEConfiguration: Sendable {
    public var name: String
    /// false: a plain autoencoder (no sampling, no KL term).
    public var variational: Bool
    public var reconstruction: LossKind
    public var beta: Float
    public var optimizer: OptimizerSettings
    public var epochs: Int
    public var batchSize: Int
    public var seed: UInt64
    public var checkpoint: CheckpointPolicy?
    /// What a step with a NaN or infinite loss, gradient or output does (`on_nan`).
    public var onNonFinite: NonFinitePolicy

    public init(name: String, variational: Bool, reconstruction: LossKind, beta: Float, optimizer: OptimizerSettings,
                epochs: Int, batchSize: Int, seed: UInt64, checkpoint: CheckpointPolicy? = nil,
                onNonFinite: NonFinitePolicy = .stop) {
        self.onNonFinite = onNonFinite
        self.name = name
        self.variational = variational
        self.reconstruction = reconstruction
        self.beta = beta
        self.optimizer = optimizer
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
        self.checkpoint = checkpoint
    }
}

/// Per-sample means: the loss (negative ELBO for a VAE), its reconstruction part and its KL part.
public struct VAELosses: Sendable {
    public let loss: Double
    public let reconstruction: Double
    public let divergence: Double
    public let samples: Int
}

public protocol VAEObserver: AnyObject {
    func epochFinished(name: String, epoch: Int, epochs: Int, losses: VAELosses, seconds: Double)
    /// A checkpoint was written, or could not be.
    func trainingEvent(_ event: TrainingEvent)
}

extension VAEObserver {
    public func trainingEvent(_ event: TrainingEvent) {}
}

public final class VAETrainer {
    public let encoder: ModelInstance
    public let decoder: ModelInstance
    public let configuration: VAEConfiguration
    let latent: Int
    let sampleSize: Int
    let useReference: Bool
    /// Draws the sampling noise and shuffles the samples.
    var random: SeededGenerator
    public internal(set) var epochsTrained = 0
    /// Asked between steps; true saves a checkpoint (when configured) and throws
    /// `TrainingInterrupted`. By default, whether Ctrl-C or SIGTERM arrived.
    public var stopRequested: () -> Bool = { Interruption.isRequested }
    // The state between two steps of `train`, which a checkpoint captures (VAETrainer+Checkpoint).
    var position = Checkpoint.Position(epochsBefore: 0)
    /// Sums over the epoch's samples so far: reconstruction loss and KL divergence.
    var sums = (reconstruction: 0.0, divergence: 0.0)
    /// The sample order of the epoch in progress.
    var order: [Int] = []
    /// The executors, optimizers and gradient buffers of the `train` in progress.
    var run: TrainingRun?

    struct TrainingRun {
        let encoder: Executor, decoder: Executor
        let encoderOptimizer: Optimizer, decoderOptimizer: Optimizer
        /// -1 in a graph's list (no gradient: batch_norm's running statistics) becomes nil, which the optimizer skips.
        let encoderGradients: [UnsafePointer<Float>?], decoderGradients: [UnsafePointer<Float>?]
    }
    var directory: CheckpointDirectory?

    public init(encoder: ModelInstance, decoder: ModelInstance, configuration: VAEConfiguration, useReference: Bool = false) {
        self.encoder = encoder
        self.decoder = decoder
        self.configuration = configuration
        self.useReference = useReference
        latent = elementCount(decoder.model.inputShape)
        sampleSize = elementCount(decoder.model.outputShape)
        random = SeededGenerator(seed: configuration.seed)
    }

    /// One batch: the `rows` samples `order[first...]`. Trains when `training` is given
    /// (checking every loss, gradient and parameter for NaN/Inf), otherwise only measures.
    /// Returns the batch's summed reconstruction loss and KL divergence.
    private func batchStep(_ data: Dataset, rows: Int, first: Int, order: [Int], encoderExecutor: Executor,
                           decoderExecutor: Executor, training: TrainingRun?, sampling: ReparameterizationBuffers,
                           random: inout SeededGenerator) throws -> (reconstruction: Double, divergence: Double) {
        let eGraph = encoderExecutor.graph, dGraph = decoderExecutor.graph
        // The decoder's target is the encoder's input buffer itself (bound in `executors`).
        let input = encoderExecutor.buffer(eGraph.input)
        order.withUnsafeBufferPointer { order in
            data.copyFeatures(of: UnsafeBufferPointer(rebasing: order[first..<(first + rows)]), into: input)
        }
        let encoderDropout = encoderExecutor.randomGenerator
        encoderExecutor.runForward(rows: rows)
        if training != nil { try checkEncoderOutput(rows: rows, dropout: encoderDropout) }
        let code = encoderExecutor.buffer(eGraph.output)
        let z = decoderExecutor.buffer(dGraph.input)
        var divergence: Double = 0
        if configuration.variational {
            // Both values of each Box-Muller pair (one draw per value cost 3% of an epoch).
            random.fillNormal(sampling.noise, count: rows * latent, draws: sampling.draws)
            divergence = Reparameterization.sample(code: code, noise: sampling.noise, z: z, rows: rows, latent: latent,
                                                   partials: sampling.partials)
            if training != nil { try checkSampledCode(rows: rows, divergence: divergence) }
        } else {
            z.update(from: code, count: rows * latent)
        }
        // The loss is computed with its gradient, so evaluation runs the whole plan too.
        let decoderDropout = decoderExecutor.randomGenerator
        decoderExecutor.run(rows: rows)
        let reconstruction = Double(decoderExecutor.loss) * Double(rows)
        guard let training else { return (reconstruction, divergence) }
        try checkDecoderStep(rows: rows, dropout: decoderDropout)
        let dz = decoderExecutor.buffer(dGraph.inputGradient!)
        let seed = encoderExecutor.buffer(eGraph.target!)
        if configuration.variational {
            Reparameterization.backward(code: code, noise: sampling.noise, dz: dz, seed: seed, rows: rows, latent: latent,
                                        beta: configuration.beta)
        } else {
            seed.update(from: dz, count: rows * latent)
        }
        encoderExecutor.runBackward()
        try checkEncoderGradients(rows: rows, dropout: encoderDropout)
        let decoderFinite = training.decoderOptimizer.apply(gradients: training.decoderGradients)
        let encoderFinite = training.encoderOptimizer.apply(gradients: training.encoderGradients)
        try checkParameters(training, decoderFinite: decoderFinite, encoderFinite: encoderFinite)
        return (reconstruction, divergence)
    }

    /// The epoch's per-sample losses from the sums over `samples` samples.
    private func losses(_ sums: (reconstruction: Double, divergence: Double), samples: Int) -> VAELosses {
        let n = Double(max(samples, 1))
        let reconstruction = sums.reconstruction / n, kl = sums.divergence / n
        return VAELosses(loss: reconstruction + Double(configuration.beta) * kl, reconstruction: reconstruction,
                         divergence: kl, samples: samples)
    }

    private func executors(batch: Int) -> (Executor, Executor) {
        let encoderExecutor = Executor(graph: GraphBuilder.backpropagation(encoder.model), batchCapacity: batch,
                                       parameters: encoder.parameters, seed: configuration.seed &+ 5, useReference: useReference)
        let decoderGraph = GraphBuilder.training(decoder.model, loss: configuration.reconstruction,
                                                 targetShape: decoder.model.outputShape, inputGradient: true)
        let decoderExecutor = Executor(graph: decoderGraph, batchCapacity: batch, parameters: decoder.parameters,
                                       seed: configuration.seed &+ 7, useReference: useReference,
                                       keep: [decoderGraph.inputGradient!])
        // The reconstruction's target is the batch the encoder reads: no copy of it per step.
        decoderExecutor.bind(decoderGraph.target!, to: encoderExecutor.buffer(encoderExecutor.graph.input))
        return (encoderExecutor, decoderExecutor)
    }

    /// Trains for the configured epochs, or for those left after `checkpoint`. Throws
    /// `NumericalFault` naming the first non-finite tensor and its layer, `TrainingInterrupted`
    /// or `CheckpointError`.
    public func train(on data: Dataset, observer: VAEObserver?, resumingFrom checkpoint: Checkpoint? = nil) throws {
        let batch = min(configuration.batchSize, data.count)
        let (encoderExecutor, decoderExecutor) = executors(batch: batch)
        let eGraph = encoderExecutor.graph, dGraph = decoderExecutor.graph
        let training = TrainingRun(
            encoder: encoderExecutor, decoder: decoderExecutor,
            encoderOptimizer: Optimizer(configuration.optimizer, parameters: encoder.parameters),
            decoderOptimizer: Optimizer(configuration.optimizer, parameters: decoder.parameters),
            encoderGradients: eGraph.parameterGradients.map { $0 < 0 ? nil : UnsafePointer(encoderExecutor.buffer($0)) },
            decoderGradients: dGraph.parameterGradients.map { $0 < 0 ? nil : UnsafePointer(decoderExecutor.buffer($0)) })
        run = training
        defer { run = nil }
        // Reconstruction losses are means over elements: scaled by the sample size they become
        // sums over each sample (the usual VAE convention), gradients included.
        decoderExecutor.lossScale = Float(sampleSize)
        let sampling = ReparameterizationBuffers(batch: batch, latent: latent)
        position = Checkpoint.Position(epochsBefore: epochsTrained)
        sums = (0, 0)
        directory = try configuration.checkpoint.map { try CheckpointDirectory($0.directory) }
        if let checkpoint { try restore(checkpoint, data: data, batch: batch) }
        let steps = (data.count + batch - 1) / batch
        while position.epochsDone < configuration.epochs {
            let start = DispatchTime.now().uptimeNanoseconds
            if position.batchIndex == 0 {
                order = Array(0..<data.count)
                random.shuffle(&order)
                sums = (0, 0)
            }
            var skippedInEpoch = 0
            while position.batchIndex < steps {
                if stopRequested() { throw interruption(data: data, observer: observer) }
                let first = position.batchIndex * batch
                do {
                    let step = try batchStep(data, rows: min(batch, data.count - first), first: first, order: order,
                                             encoderExecutor: encoderExecutor, decoderExecutor: decoderExecutor,
                                             training: training, sampling: sampling, random: &random)
                    sums.reconstruction += step.reconstruction
                    sums.divergence += step.divergence
                } catch let fault as NumericalFault where configuration.onNonFinite == .skip && fault.tensor != .parameter {
                    // on_nan: skip — no update from this batch (a non-finite parameter still stops).
                    try fault.skip(counting: &skippedInEpoch, of: steps) { observer?.trainingEvent($0) }
                }
                position.batchIndex += 1
                position.stepsDone += 1
                if let every = configuration.checkpoint?.everySteps, position.stepsDone % every == 0 {
                    save(data: data, observer: observer)
                }
            }
            epochsTrained += 1
            position.epochsDone += 1
            position.batchIndex = 0
            observer?.epochFinished(name: configuration.name, epoch: epochsTrained,
                                    epochs: position.epochsBefore + configuration.epochs, losses: losses(sums, samples: data.count),
                                    seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            if let policy = configuration.checkpoint,
               position.epochsDone % policy.everyEpochs == 0 || position.epochsDone == configuration.epochs {
                save(data: data, observer: observer)
            }
        }
    }

    /// The loss on `data` without training (z sampled with a fixed seed for a VAE).
    public func evaluate(on data: Dataset, seed: UInt64 = 1) -> VAELosses {
        let batch = min(256, max(data.count, 1))
        let (encoderExecutor, decoderExecutor) = executors(batch: batch)
        decoderExecutor.lossScale = Float(sampleSize)
        var random = SeededGenerator(seed: seed)
        let sampling = ReparameterizationBuffers(batch: batch, latent: latent)
        let order = Array(0..<data.count)
        var total = (reconstruction: 0.0, divergence: 0.0)
        var first = 0
        while first < data.count {
            let rows = min(batch, data.count - first)
            // Without optimizers nothing is checked, so nothing is thrown.
            let step = (try? batchStep(data, rows: rows, first: first, order: order, encoderExecutor: encoderExecutor,
                                       decoderExecutor: decoderExecutor, training: nil, sampling: sampling, random: &random))
                ?? (reconstruction: 0, divergence: 0)
            total.reconstruction += step.reconstruction
            total.divergence += step.divergence
            first += rows
        }
        return losses(total, samples: data.count)
    }

    /// Reconstructions of the first `count` samples through the mean code (no sampling).
    public func reconstruct(_ data: Dataset, count: Int) -> (originals: [Float], reconstructions: [Float]) {
        let n = min(count, data.count)
        let codes = Evaluation.predict(encoder, on: data, count: n)
        let means = codes.map { Array($0.prefix(latent)) }.flatMap { $0 }
        let latentData = Dataset(name: "codes", featureShape: decoder.model.inputShape, features: means,
                                 targetShape: [], targets: [Float](repeating: 0, count: n))
        let outputs = Evaluation.predict(decoder, on: latentData, count: n).flatMap { $0 }
        return (data.prefix(n).features, outputs)
    }
}
