// The naive forecast baseline (`naive_mse`) on hand-made sequences.

import Testing
import NNetRuntime

@Suite struct BaselineTests {
    @Test func naiveForecastComparesEachTargetWithTheLastStep() throws {
        // Two sequences of 3 steps with 2 features; targets are the next step's 2 values.
        let data = Dataset(name: "d", featureShape: [3, 2], features: [0, 0, 1, 1, 2, 4, /**/ 5, 5, 5, 5, 5, 5],
                           targetShape: [2], targets: [3, 4, /**/ 5, 7])
        // Errors: (2-3, 4-4) and (5-5, 5-7) -> (1 + 0 + 0 + 4) / 4.
        #expect(try data.naiveForecastMSE() == 1.25)
    }

    @Test func sineWithoutNoiseHasAPositiveBaseline() throws {
        let data = try Synthetic.sine(n: 50, length: 20, noise: 0, seed: 3)
        let mse = try data.naiveForecastMSE()
        #expect(mse > 0.01 && mse < 1, "\(mse)")
    }

    @Test func classLabelsAndMismatchedTargetsAreRejected() throws {
        let labels = Dataset(name: "d", featureShape: [4, 1], features: [Float](repeating: 0, count: 8),
                             targetShape: [], targets: [0, 1], classCount: 2)
        #expect(throws: DataError.self) { try labels.naiveForecastMSE() }
        let wide = Dataset(name: "d", featureShape: [4, 2], features: [Float](repeating: 0, count: 8),
                           targetShape: [1], targets: [0])
        #expect(throws: DataError.self) { try wide.naiveForecastMSE() }
    }
}
