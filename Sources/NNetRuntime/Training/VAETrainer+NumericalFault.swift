// NaN/Inf checks of the autoencoder step: the encoder's code, the sampled code z, the decoder's
// loss and gradients, the encoder's gradients, both models' parameters after the update. The
// first hit is located by a replay (FaultLocator) and thrown as a NumericalFault naming the
// model, the tensor and the layer. Stage: runtime (training).

import NNetIR
import NNetKernels

extension VAETrainer {
    /// 1-based epoch and step of the step in progress, as faults report them.
    private var stepNumbers: (epoch: Int, step: Int) { (epochsTrained + 1, position.batchIndex + 1) }

    /// The encoder's output (the code, or the mean and log-variance), from dropout state `dropout`.
    func checkEncoderOutput(rows: Int, dropout: SeededGenerator) throws {
        guard let run else { return }
        let (epoch, step) = stepNumbers
        if let fault = FaultLocator.checkOutput(model: encoder.model, executor: run.encoder, rows: rows, dropout: dropout,
                                                epoch: epoch, step: step) { throw named(fault) }
    }

    /// z = mean + exp(log-variance / 2) · ε and the KL term: a finite but huge log-variance
    /// overflows them, which is the encoder's output layer's doing.
    func checkSampledCode(rows: Int, divergence: Double) throws {
        guard let run else { return }
        let z = run.decoder.buffer(run.decoder.graph.input)
        let finite = Kernels.allFinite(z, count: rows * latent)
        guard !finite || !divergence.isFinite else { return }
        let value = finite ? Float(divergence) : Kernels.firstNonFinite(z, count: rows * latent).map { z[$0] } ?? .nan
        let (epoch, step) = stepNumbers
        let layer = encoder.model.layers.count - 1
        throw named(NumericalFault(model: encoder.model.name, epoch: epoch, step: step, tensor: .activation, value: value,
                             layer: layer, layerDescription: FaultLocator.describe(encoder.model.layers[layer]),
                             detail: finite ? "the KL divergence: exp(log-variance) overflowed"
                                            : "the sampled code z: exp(log-variance / 2) overflowed"))
    }

    /// The decoder's loss, gradients and the gradient it hands back to the code.
    func checkDecoderStep(rows: Int, dropout: SeededGenerator) throws {
        guard let run else { return }
        let (epoch, step) = stepNumbers
        if let fault = FaultLocator.checkStep(model: decoder.model, executor: run.decoder, gradients: run.decoderGradients,
                                              rows: rows, dropout: dropout, epoch: epoch, step: step) { throw named(fault) }
        if let fault = FaultLocator.checkOutput(model: decoder.model, executor: run.decoder, rows: rows, dropout: dropout,
                                                epoch: epoch, step: step, node: run.decoder.graph.inputGradient!) { throw named(fault) }
    }

    /// The encoder's parameter gradients after its backward pass.
    func checkEncoderGradients(rows: Int, dropout: SeededGenerator) throws {
        guard let run else { return }
        let (epoch, step) = stepNumbers
        if let fault = FaultLocator.checkStep(model: encoder.model, executor: run.encoder, gradients: run.encoderGradients,
                                              rows: rows, dropout: dropout, epoch: epoch, step: step, checkLoss: false) { throw named(fault) }
    }

    /// Both models' parameters after the updates, which returned `decoderFinite` and
    /// `encoderFinite` for the weights they wrote.
    func checkParameters(_ run: TrainingRun, decoderFinite: Bool, encoderFinite: Bool) throws {
        let (epoch, step) = stepNumbers
        if let fault = FaultLocator.checkParameters(model: decoder.model, parameters: decoder.parameters, updateFinite: decoderFinite,
                                                    gradients: run.decoderGradients, epoch: epoch, step: step) { throw named(fault) }
        if let fault = FaultLocator.checkParameters(model: encoder.model, parameters: encoder.parameters, updateFinite: encoderFinite,
                                                    gradients: run.encoderGradients, epoch: epoch, step: step) { throw named(fault) }
    }
}

extension VAETrainer {
    /// The fault with the pairing's name and the model's role in it.
    func named(_ fault: NumericalFault) -> NumericalFault {
        var fault = fault
        fault.pairing = (configuration.name, fault.model == decoder.model.name ? "decoder" : "encoder")
        return fault
    }
}
