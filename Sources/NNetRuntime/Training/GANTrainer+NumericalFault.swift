// NaN/Inf checks of the adversarial step: the generated samples, each model's loss and gradients,
// the parameters after each update. The first hit is located by a replay (FaultLocator) and
// thrown as a NumericalFault naming the model, the tensor and the layer. Stage: runtime (training).

import NNetIR

extension GANTrainer {
    /// 1-based epoch and step of the step in progress, as faults report them.
    private var stepNumbers: (epoch: Int, step: Int) { (epochsTrained + 1, position.batchIndex + 1) }

    /// The generator's samples, after its forward pass from dropout state `dropout`.
    func checkGeneratorOutput(rows: Int, dropout: SeededGenerator) throws {
        let (epoch, step) = stepNumbers
        if let fault = FaultLocator.checkOutput(model: generator.model, executor: generatorExecutor, rows: rows,
                                                dropout: dropout, epoch: epoch, step: step) { throw named(fault) }
    }

    /// A model's loss (unless the step has none) and gradients after `executor` ran its step.
    func checkStep(_ instance: ModelInstance, _ executor: Executor, gradients: [UnsafePointer<Float>?], rows: Int,
                   dropout: SeededGenerator, checkLoss: Bool = true) throws {
        let (epoch, step) = stepNumbers
        if let fault = FaultLocator.checkStep(model: instance.model, executor: executor, gradients: gradients, rows: rows,
                                              dropout: dropout, epoch: epoch, step: step, checkLoss: checkLoss) { throw named(fault) }
    }

    /// The generator step's pass through the discriminator: its loss and the gradient it hands back.
    func checkThroughDiscriminator(rows: Int, dropout: SeededGenerator) throws {
        let (epoch, step) = stepNumbers
        let graph = throughDiscriminator.graph
        let fallback: (tensor: NumericalFault.Tensor, parameter: Int?, value: Float)
        if !throughDiscriminator.loss.isFinite {
            fallback = (.loss, nil, throughDiscriminator.loss)
        } else if let fault = FaultLocator.checkOutput(model: discriminator.model, executor: throughDiscriminator, rows: rows,
                                                       dropout: dropout, epoch: epoch, step: step, node: graph.inputGradient!) {
            throw named(fault)
        } else {
            return
        }
        throw named(FaultLocator.fault(model: discriminator.model, executor: throughDiscriminator, rows: rows, generator: dropout,
                                 epoch: epoch, step: step, fallback: fallback))
    }

    /// The discriminator's gradients after the real batch's were added to the generated batch's:
    /// each was checked, but their sum can still overflow.
    func checkSummedGradients(_ gradients: [UnsafePointer<Float>?]) throws {
        let (epoch, step) = stepNumbers
        let graph = discriminatorExecutor.graph
        guard let (index, value) = FaultLocator.firstNonFiniteGradient(gradients, graph: graph) else { return }
        var fault = FaultLocator.unlocated(model: discriminator.model, graph: graph, epoch: epoch, step: step,
                                           found: (.gradient, index, value))
        fault.detail += configuration.r1Penalty > 0 ? " (the real and generated batches' gradients and the R1 penalty's summed)"
            : " (the real and generated batches' gradients summed)"
        throw named(fault)
    }

    /// A model's parameters after its optimizer's update, which returned `updateFinite` for those
    /// it wrote from `gradients`.
    func checkParameters(_ instance: ModelInstance, updateFinite: Bool, gradients: [UnsafePointer<Float>?]) throws {
        let (epoch, step) = stepNumbers
        if let fault = FaultLocator.checkParameters(model: instance.model, parameters: instance.parameters, updateFinite: updateFinite,
                                                    gradients: gradients, epoch: epoch, step: step) { throw named(fault) }
    }
}

extension GANTrainer {
    /// The fault with the GAN's name and the model's role in it.
    func named(_ fault: NumericalFault) -> NumericalFault {
        var fault = fault
        fault.pairing = (configuration.name, fault.model == discriminator.model.name ? "discriminator" : "generator")
        return fault
    }
}
