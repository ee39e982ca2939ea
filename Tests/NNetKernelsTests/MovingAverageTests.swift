// The moving-average update against the scalar expression it promises, element by element, over
// every SIMD tail length. Stage: kernels (tests).

import Testing
import NNetKernels

@Suite("Moving average")
struct MovingAverageTests {
    @Test("each element is average − (1 − decay)·(average − value), bitwise", arguments: elementCounts)
    func matchesTheScalarExpression(count: Int) {
        var random = TestRandom(seed: 17)
        var average = random.floats(count)
        var expected = average
        for decay: Float in [0.1, 0.5, 0.999] {
            let value = random.floats(count, -3, 3)
            Kernels.movingAverageUpdate(&average, toward: value, decay: decay, count: count)
            for i in 0..<count { expected[i] = expected[i] - (1 - decay) * (expected[i] - value[i]) }
            #expect(average == expected, "decay \(decay)")
        }
    }

    @Test func decayZeroTakesTheValueAndDecayOneKeepsTheAverage() {
        var average: [Float] = [1, 2, 3]
        Kernels.movingAverageUpdate(&average, toward: [4, 5, 6], decay: 1, count: 3)
        #expect(average == [1, 2, 3])
        Kernels.movingAverageUpdate(&average, toward: [4, 5, 6], decay: 0, count: 3)
        #expect(average == [4, 5, 6])
    }
}
