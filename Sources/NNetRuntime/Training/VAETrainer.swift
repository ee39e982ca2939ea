// Autoencoders and variational autoencoders built from an encoder and a decoder model.
// VAE: the encoder outputs [mean; log-variance] of q(z|x), z = mean + exp(log-variance/2)·ε
// (the reparameterisation trick), the decoder reconstructs x from z, and the loss per sample is
// the reconstruction loss summed over the output plus β·KL(q(z|x) ‖ N(0, I)). An autoencoder
// feeds the encoder's output straight to the decoder. Stage: runtime (training).

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

    public init(name: String, variational: Bool, reconstruction: LossKind, beta: Float, optimizer: OptimizerSettings,
                epochs: Int, batchSize: Int, seed: UInt64) {
        self.name = name
        self.variational = variational
        self.reconstruction = reconstruction
        self.beta = beta
        self.optimizer = optimizer
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
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
}

public final class VAETrainer {
    public let encoder: ModelInstance
    public let decoder: ModelInstance
    public let configuration: VAEConfiguration
    let latent: Int
    let sampleSize: Int
    let useReference: Bool
    private var random: SeededGenerator
    public private(set) var epochsTrained = 0

    public init(encoder: ModelInstance, decoder: ModelInstance, configuration: VAEConfiguration, useReference: Bool = false) {
        self.encoder = encoder
        self.decoder = decoder
        self.configuration = configuration
        self.useReference = useReference
        latent = elementCount(decoder.model.inputShape)
        sampleSize = elementCount(decoder.model.outputShape)
        random = SeededGenerator(seed: configuration.seed)
    }

    /// One pass over `data`: trains when `optimizers` are given, otherwise only measures.
    private func pass(_ data: Dataset, batch: Int, encoderExecutor: Executor, decoderExecutor: Executor,
                      optimizers: (Optimizer, Optimizer)?, shuffle: Bool, random: inout SeededGenerator,
                      mean: UnsafeMutablePointer<Float>? = nil) -> VAELosses {
        let eGraph = encoderExecutor.graph, dGraph = decoderExecutor.graph
        var order = Array(0..<data.count)
        if shuffle { random.shuffle(&order) }
        // -1: no gradient (batch_norm's running statistics), which the optimizer skips.
        let encoderGradients = eGraph.parameterGradients.map { $0 < 0 ? nil : UnsafePointer(encoderExecutor.buffer($0)) }
        let decoderGradients = dGraph.parameterGradients.map { $0 < 0 ? nil : UnsafePointer(decoderExecutor.buffer($0)) }
        let noise = UnsafeMutablePointer<Float>.allocate(capacity: batch * max(latent, 1))
        defer { noise.deallocate() }
        var reconstructionSum: Double = 0, divergenceSum: Double = 0
        var position = 0
        let scale = Float(sampleSize)
        // Reconstruction losses are means over elements: scaled by the sample size they become
        // sums over each sample (the usual VAE convention), gradients included.
        decoderExecutor.lossScale = scale
        while position < data.count {
            let rows = min(batch, data.count - position)
            let input = encoderExecutor.buffer(eGraph.input)
            let target = decoderExecutor.buffer(dGraph.target!)
            for row in 0..<rows {
                data.copyFeatures(of: order[position + row], into: input + row * sampleSize)
                (target + row * sampleSize).update(from: input + row * sampleSize, count: sampleSize)
            }
            encoderExecutor.runForward(rows: rows)
            let code = encoderExecutor.buffer(eGraph.output)
            let z = decoderExecutor.buffer(dGraph.input)
            var divergence: Double = 0
            if configuration.variational {
                for row in 0..<rows {
                    for j in 0..<latent {
                        let mu = code[row * 2 * latent + j], logVariance = code[row * 2 * latent + latent + j]
                        let epsilon = random.normal()
                        noise[row * latent + j] = epsilon
                        z[row * latent + j] = mu + expf(0.5 * logVariance) * epsilon
                        divergence += Double(-0.5 * (1 + logVariance - mu * mu - expf(logVariance)))
                    }
                }
            } else {
                z.update(from: code, count: rows * latent)
            }
            if let mean {
                for row in 0..<rows {
                    (mean + (position + row) * latent).update(from: code + row * (configuration.variational ? 2 * latent : latent),
                                                              count: latent)
                }
            }
            // The loss is computed with its gradient, so evaluation runs the whole plan too.
            decoderExecutor.run(rows: rows)
            reconstructionSum += Double(decoderExecutor.loss) * Double(rows)
            divergenceSum += divergence
            if let (encoderOptimizer, decoderOptimizer) = optimizers {
                let dz = decoderExecutor.buffer(dGraph.inputGradient!)
                let seed = encoderExecutor.buffer(eGraph.target!)
                let beta = configuration.beta, inverseRows = 1 / Float(rows)
                if configuration.variational {
                    for row in 0..<rows {
                        for j in 0..<latent {
                            let mu = code[row * 2 * latent + j], logVariance = code[row * 2 * latent + latent + j]
                            let g = dz[row * latent + j]
                            let deviation = expf(0.5 * logVariance)
                            seed[row * 2 * latent + j] = g + beta * mu * inverseRows
                            seed[row * 2 * latent + latent + j] = g * noise[row * latent + j] * 0.5 * deviation
                                + beta * 0.5 * (deviation * deviation - 1) * inverseRows
                        }
                    }
                } else {
                    seed.update(from: dz, count: rows * latent)
                }
                encoderExecutor.runBackward()
                decoderOptimizer.apply(gradients: decoderGradients)
                encoderOptimizer.apply(gradients: encoderGradients)
            }
            position += rows
        }
        let n = Double(max(data.count, 1))
        let reconstruction = reconstructionSum / n, kl = divergenceSum / n
        return VAELosses(loss: reconstruction + Double(configuration.beta) * kl, reconstruction: reconstruction,
                         divergence: kl, samples: data.count)
    }

    private func executors(batch: Int) -> (Executor, Executor) {
        let encoderExecutor = Executor(graph: GraphBuilder.backpropagation(encoder.model), batchCapacity: batch,
                                       parameters: encoder.parameters, seed: configuration.seed &+ 5, useReference: useReference)
        let decoderGraph = GraphBuilder.training(decoder.model, loss: configuration.reconstruction,
                                                 targetShape: decoder.model.outputShape, inputGradient: true)
        let decoderExecutor = Executor(graph: decoderGraph, batchCapacity: batch, parameters: decoder.parameters,
                                       seed: configuration.seed &+ 7, useReference: useReference,
                                       keep: [decoderGraph.inputGradient!])
        return (encoderExecutor, decoderExecutor)
    }

    public func train(on data: Dataset, observer: VAEObserver?) throws {
        let batch = min(configuration.batchSize, data.count)
        let (encoderExecutor, decoderExecutor) = executors(batch: batch)
        let optimizers = (Optimizer(configuration.optimizer, parameters: encoder.parameters),
                          Optimizer(configuration.optimizer, parameters: decoder.parameters))
        for _ in 0..<configuration.epochs {
            let start = DispatchTime.now().uptimeNanoseconds
            let losses = pass(data, batch: batch, encoderExecutor: encoderExecutor, decoderExecutor: decoderExecutor,
                              optimizers: optimizers, shuffle: true, random: &random)
            guard losses.loss.isFinite else {
                throw TrainingError.nonFinite(model: configuration.name, epoch: epochsTrained + 1, step: 0, value: Float(losses.loss))
            }
            epochsTrained += 1
            observer?.epochFinished(name: configuration.name, epoch: epochsTrained, epochs: configuration.epochs, losses: losses,
                                    seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
    }

    /// The loss on `data` without training (z sampled with a fixed seed for a VAE).
    public func evaluate(on data: Dataset, seed: UInt64 = 1) -> VAELosses {
        let batch = min(256, max(data.count, 1))
        let (encoderExecutor, decoderExecutor) = executors(batch: batch)
        var random = SeededGenerator(seed: seed)
        return pass(data, batch: batch, encoderExecutor: encoderExecutor, decoderExecutor: decoderExecutor,
                    optimizers: nil, shuffle: false, random: &random)
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
