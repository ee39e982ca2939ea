// A GAN's `generator_ema`: an exponential moving average of the generator's weights, updated
// after every generator step (Polyak averaging as in ProGAN, StyleGAN and BigGAN). Training
// moves the raw weights; between `train` statements the generator model holds the average, so
// every later use of it (sampling, `save`, `predict`) sees the averaged generator, while the raw
// weights wait here for the next `train`. Stage: runtime (training).

import NNetIR
import NNetKernels

public final class GeneratorAverage {
    /// The configured decay: the weight of the old average at each update, after the warm-up.
    public let decay: Float
    /// The model the trainer trains (raw weights during training, the average between).
    let generator: ModelInstance
    /// The averaged generator: the same model with the average as its parameters.
    public let averaged: ModelInstance
    /// Updates so far; sets the warm-up's decay and is saved in checkpoints.
    public internal(set) var updates = 0
    /// The raw weights while the generator holds the average (`isPublished`).
    private let held: UnsafeMutablePointer<Float>
    /// Whether the generator model holds the average now and the raw weights are in `held`.
    public private(set) var isPublished = false

    /// Starts the average at the generator's current weights, with no updates yet.
    public init(generator: ModelInstance, decay: Float) {
        self.generator = generator
        self.decay = decay
        averaged = ModelInstance(generator.model, seed: 0)
        held = .allocate(capacity: max(generator.parameters.totalCount, 1))
        held.initialize(repeating: 0, count: max(generator.parameters.totalCount, 1))
        restart()
    }

    deinit { held.deallocate() }

    /// The decay of update `updates` (0-based): min(decay, (1 + t)/(10 + t)), TF's
    /// ExponentialMovingAverage with `num_updates`. Early averages so follow the weights closely
    /// (0.1 at the first update) instead of being held near the initial, untrained generator.
    public static func decay(_ decay: Float, atUpdate updates: Int) -> Float {
        min(decay, Float(1 + updates) / Float(10 + updates))
    }

    /// Moves the average toward the generator's current weights; allocates nothing. Trainable
    /// parameters are averaged; batch_norm's running statistics, already averages of the raw
    /// generator's activations, are copied as they are (as Keras' `use_ema` leaves them).
    func update() {
        let rate = GeneratorAverage.decay(decay, atUpdate: updates)
        let source = generator.parameters, target = averaged.parameters
        for index in source.infos.indices {
            let count = source.infos[index].count
            if source.infos[index].isTrainable {
                Kernels.movingAverageUpdate(target.pointer(index), toward: source.pointer(index), decay: rate, count: count)
            } else {
                Kernels.copy(source.pointer(index), into: target.pointer(index), count: count)
            }
        }
        updates += 1
    }

    /// The average becomes the generator's current weights, with no updates.
    func restart() {
        Kernels.copy(generator.parameters.storage, into: averaged.parameters.storage, count: generator.parameters.totalCount)
        updates = 0
    }

    /// At the end of a `train` statement: the generator model takes the average; the raw weights
    /// are kept for the next one.
    func publish() {
        guard !isPublished else { return }
        let count = generator.parameters.totalCount
        Kernels.copy(generator.parameters.storage, into: held, count: count)
        Kernels.copy(averaged.parameters.storage, into: generator.parameters.storage, count: count)
        isPublished = true
    }

    /// At the start of a `train` statement: the raw weights return to the generator, so training
    /// continues from them. If the generator's weights no longer are the published average
    /// (`load` replaced them), training continues from those instead and the average restarts.
    public func takeBack() {
        guard isPublished else { return }
        isPublished = false
        let count = generator.parameters.totalCount
        let current = UnsafeBufferPointer(start: generator.parameters.storage, count: count)
        if current.elementsEqual(UnsafeBufferPointer(start: averaged.parameters.storage, count: count)) {
            Kernels.copy(held, into: generator.parameters.storage, count: count)
        } else {
            restart()
        }
    }

    /// A checkpoint's average (the tensors fit: see `Checkpoint.parameterMismatches`).
    func restore(_ saved: Checkpoint.AveragedWeights) {
        Checkpoint.copy(saved.parameters, into: averaged)
        updates = saved.updates
    }

    /// What a checkpoint stores.
    var saved: Checkpoint.AveragedWeights {
        Checkpoint.AveragedWeights(updates: updates, parameters: Checkpoint.tensors(of: averaged.parameters))
    }
}
