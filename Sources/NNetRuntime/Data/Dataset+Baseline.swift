// The naive forecast of a sequence dataset: each target predicted as the last time step's
// features, the baseline a sequence model has to beat. Stage: runtime (data).

import NNetIR

extension Dataset {
    /// Mean squared error, over every target value, of predicting a sample's target as its last
    /// time step: samples [time, features] (or [time]) with targets of `features` values.
    /// Throws DataError (a message to follow the dataset's name) when the dataset is not of that form.
    public func naiveForecastMSE() throws -> Double {
        let stepSize = featureShape.count >= 2 ? featureShape.dropFirst().reduce(1, *) : 1
        guard featureShape.count >= 1, !hasClassLabels, targetSize == stepSize, count > 0 else {
            let targets = hasClassLabels ? "class labels" : count == 0 ? "no samples" : "targets \(describeShape(targetShape))"
            throw DataError(path: nil, "needs samples [time, features] whose target is the next step's \(stepSize) "
                            + "value\(stepSize == 1 ? "" : "s"), but has samples \(describeShape(featureShape)) and \(targets)")
        }
        var sum = 0.0
        for sample in 0..<count {
            let last = (sample + 1) * featureSize - stepSize
            for j in 0..<stepSize {
                let error = Double(features[last + j]) - Double(targets[sample * stepSize + j])
                sum += error * error
            }
        }
        return sum / Double(count * stepSize)
    }
}
