// Streaming passes split over the pool: the same result as one pass, wherever a bad value sits.
// Stage: kernels (tests).

import Testing
import NNetKernels

@Suite("Streaming")
struct StreamingTests {
    static let count = Kernels.streamingSplitThreshold * 2 + 37  // split when the pool has threads

    @Test func copyAndAddCoverEveryElement() {
        let count = Self.count
        let x = (0..<count).map { Float($0 % 1000) * 0.5 }
        var y = (0..<count).map { Float($0 % 7) }
        let expected = zip(x, y).map { $0 + $1 }
        y.withUnsafeMutableBufferPointer { Kernels.addInParallel(x, into: $0.baseAddress!, count: count) }
        #expect(y == expected)
        var copied = [Float](repeating: .nan, count: count)
        copied.withUnsafeMutableBufferPointer { Kernels.copy(x, to: $0.baseAddress!, count: count) }
        #expect(copied == x)
    }

    @Test("the split activation gradient equals one pass", arguments: [ActivationKind.sigmoid, .relu, .tanh])
    func activationBackwardCoversEveryElement(kind: ActivationKind) {
        let count = Self.count
        let y = (0..<count).map { Float($0 % 101) / 101 - 0.25 }
        let dy = (0..<count).map { Float($0 % 13) - 6 }
        var expected = [Float](repeating: 0, count: count), split = [Float](repeating: .nan, count: count)
        expected.withUnsafeMutableBufferPointer {
            Kernels.activationBackward(kind, output: y, gradient: dy, result: $0.baseAddress!, count: count)
        }
        split.withUnsafeMutableBufferPointer {
            Kernels.activationBackwardInParallel(kind, output: y, gradient: dy, result: $0.baseAddress!, count: count)
        }
        #expect(split == expected)
        #expect(expected.contains { $0 != 0 })
    }

    @Test("a NaN or infinity anywhere is found", arguments: [0, 1, count / 2, count - 1])
    func finitenessIsCheckedEverywhere(position: Int) {
        var x = [Float](repeating: 1, count: Self.count)
        #expect(Kernels.allFiniteInParallel(x, count: x.count))
        x[position] = .nan
        #expect(!Kernels.allFiniteInParallel(x, count: x.count))
        x[position] = -.infinity
        #expect(!Kernels.allFiniteInParallel(x, count: x.count))
    }
}
