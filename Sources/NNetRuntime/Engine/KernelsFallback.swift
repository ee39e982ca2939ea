// TEMPORARY: forwards to Reference until the SIMD kernels land. Delete then.
import NNetKernels
extension Kernels {
    static func biasActivation(_ x: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                      rows: Int, columns: Int, activation: ActivationKind,
                                      output y: UnsafeMutablePointer<Float>) { Reference.biasActivation(x, bias: bias, rows: rows, columns: columns, activation: activation, output: y) }
    static func activationBackward(_ activation: ActivationKind, output y: UnsafePointer<Float>,
                                          gradient dy: UnsafePointer<Float>,
                                          result dx: UnsafeMutablePointer<Float>, count: Int) { Reference.activationBackward(activation, output: y, gradient: dy, result: dx, count: count) }
    static func softmax(_ x: UnsafePointer<Float>, rows: Int, columns: Int,
                               output y: UnsafeMutablePointer<Float>) { Reference.softmax(x, rows: rows, columns: columns, output: y) }
    static func softmaxBackward(output y: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>,
                                       rows: Int, columns: Int, result dx: UnsafeMutablePointer<Float>) { Reference.softmaxBackward(output: y, gradient: dy, rows: rows, columns: columns, result: dx) }
    static func columnSums(_ x: UnsafePointer<Float>, rows: Int, columns: Int,
                                  output sums: UnsafeMutablePointer<Float>, accumulate: Bool) { Reference.columnSums(x, rows: rows, columns: columns, output: sums, accumulate: accumulate) }
    static func multiply(_ x: UnsafePointer<Float>, _ mask: UnsafePointer<Float>,
                                output y: UnsafeMutablePointer<Float>, count: Int) { Reference.multiply(x, mask, output: y, count: count) }
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) { Reference.add(x, into: y, count: count) }
    static func meanSquaredError(prediction p: UnsafePointer<Float>, target t: UnsafePointer<Float>,
                                        count: Int, gradient dp: UnsafeMutablePointer<Float>?) -> Float { Reference.meanSquaredError(prediction: p, target: t, count: count, gradient: dp) }
    static func sigmoidCrossEntropy(logits z: UnsafePointer<Float>, target t: UnsafePointer<Float>,
                                           count: Int, gradient dz: UnsafeMutablePointer<Float>?) -> Float { Reference.sigmoidCrossEntropy(logits: z, target: t, count: count, gradient: dz) }
    static func binaryCrossEntropy(probabilities p: UnsafePointer<Float>, target t: UnsafePointer<Float>,
                                          count: Int, gradient dp: UnsafeMutablePointer<Float>?) -> Float { Reference.binaryCrossEntropy(probabilities: p, target: t, count: count, gradient: dp) }
    static func softmaxCrossEntropy(logits z: UnsafePointer<Float>, target t: UnsafePointer<Float>,
                                           rows: Int, columns: Int,
                                           probabilities: UnsafeMutablePointer<Float>,
                                           gradient dz: UnsafeMutablePointer<Float>?) -> Float { Reference.softmaxCrossEntropy(logits: z, target: t, rows: rows, columns: columns, probabilities: probabilities, gradient: dz) }
    static func sparseSoftmaxCrossEntropy(logits z: UnsafePointer<Float>, labels: UnsafePointer<Float>,
                                                 rows: Int, columns: Int,
                                                 probabilities: UnsafeMutablePointer<Float>,
                                                 gradient dz: UnsafeMutablePointer<Float>?) -> Float { Reference.sparseSoftmaxCrossEntropy(logits: z, labels: labels, rows: rows, columns: columns, probabilities: probabilities, gradient: dz) }
    static func categoricalCrossEntropy(probabilities p: UnsafePointer<Float>, target t: UnsafePointer<Float>,
                                               rows: Int, columns: Int,
                                               gradient dp: UnsafeMutablePointer<Float>?) -> Float { Reference.categoricalCrossEntropy(probabilities: p, target: t, rows: rows, columns: columns, gradient: dp) }
    static func correctPredictions(_ scores: UnsafePointer<Float>, labels: UnsafePointer<Float>,
                                          rows: Int, columns: Int) -> Int { Reference.correctPredictions(scores, labels: labels, rows: rows, columns: columns) }
    static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int { Reference.argmax(x, count: count) }
    static func sgdUpdate(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                                 count: Int, learningRate: Float) { Reference.sgdUpdate(weights: w, gradient: g, count: count, learningRate: learningRate) }
    static func momentumUpdate(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                                      velocity v: UnsafeMutablePointer<Float>, count: Int,
                                      learningRate: Float, momentum: Float, nesterov: Bool) { Reference.momentumUpdate(weights: w, gradient: g, velocity: v, count: count, learningRate: learningRate, momentum: momentum, nesterov: nesterov) }
    static func adamUpdate(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                                  firstMoment m: UnsafeMutablePointer<Float>,
                                  secondMoment v: UnsafeMutablePointer<Float>, count: Int,
                                  learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, step: Int) { Reference.adamUpdate(weights: w, gradient: g, firstMoment: m, secondMoment: v, count: count, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, step: step) }
}
