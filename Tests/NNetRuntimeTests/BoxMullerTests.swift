// The vector Box-Muller's logarithm, square root, sine and cosine held to libm: within an ulp on
// the inputs the transform gives them (and the edges of those ranges). Stage: runtime (tests).

import Foundation
import Testing
import NNetRuntime

@Suite("Box-Muller functions")
struct BoxMullerTests {
    typealias Doubles = BoxMuller.Doubles

    /// |value − reference| in units of the reference's last place.
    static func ulps(_ value: Double, _ reference: Double) -> Double {
        abs(value - reference) / reference.ulp
    }

    /// Largest error in ulps of `function` against `reference` over `inputs`, four at a time.
    static func largestError(_ inputs: [Double], _ function: (Doubles) -> Doubles, _ reference: (Double) -> Double) -> (ulps: Double, at: Double) {
        var worst = (ulps: 0.0, at: 0.0)
        for start in stride(from: 0, to: inputs.count, by: 4) {
            var lanes = Doubles(repeating: inputs[start])
            for lane in 0..<min(4, inputs.count - start) { lanes[lane] = inputs[start + lane] }
            let values = function(lanes)
            for lane in 0..<min(4, inputs.count - start) {
                let error = ulps(values[lane], reference(lanes[lane]))
                if error > worst.ulps { worst = (error, lanes[lane]) }
            }
        }
        return worst
    }

    /// The uniforms u1 and u2 come from: k·2⁻⁵³ for 53-bit k, at random and at the ends.
    static func uniforms(count: Int, seed: UInt64) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        var values = (0..<count).map { _ in Double(generator.next() >> 11) * 0x1p-53 }
        values += [0x1p-53, 0x1p-52, 3 * 0x1p-53, 0.5, 0.5 - 0x1p-54, 1 - 0x1p-53, 1 - 0x1p-52, 0.25, 0.75]
        return values
    }

    @Test func logarithmIsWithinAnUlpOfLibm() {
        var inputs = BoxMullerTests.uniforms(count: 400_000, seed: 1).filter { $0 > 0 }
        // The u1 = 0 substitute, powers of two, and both sides of the √2 split of the mantissa.
        inputs += [Double.leastNormalMagnitude, 0x1p-40, 0x1p-1, 0x1.6a09e667f3bccp-1, 0x1.6a09e667f3bcdp-1,
                   0x1.6a09e667f3bcep-1, 0x1.6a09e667f3bccp-20, 0x1.6a09e667f3bcep-20, 1 - 0x1p-30]
        let worst = BoxMullerTests.largestError(inputs, BoxMuller.logarithm, Foundation.log)
        #expect(worst.ulps <= 1, "\(worst.ulps) ulp at \(worst.at)")
    }

    @Test func squareRootIsWithinAnUlpOfLibm() {
        // −2 ln u1 runs from 2.2e-16 (u1 just under 1) to 1416.8 (u1 the least normal double).
        var inputs = BoxMullerTests.uniforms(count: 400_000, seed: 2).filter { $0 > 0 }.map { -2 * Foundation.log($0) }
        inputs += [2.2e-16, 1, 2, 4, 1416.79, 0x1.fffffffffffffp-1, 0x1p-52]
        let worst = BoxMullerTests.largestError(inputs, BoxMuller.squareRoot, { $0.squareRoot() })
        #expect(worst.ulps <= 1, "\(worst.ulps) ulp at \(worst.at)")
    }

    @Test func sineAndCosineAreWithinAnUlpOfLibm() {
        // 2π·u2 over [0, 2π), and the angles nearest the quadrant boundaries that reduction splits at.
        var inputs = BoxMullerTests.uniforms(count: 400_000, seed: 3).map { 2 * Double.pi * $0 }
        for quarter in 1...7 {
            let boundary = Double(quarter) * Double.pi / 4
            inputs += [boundary.nextDown, boundary, boundary.nextUp]
        }
        let sine = BoxMullerTests.largestError(inputs, { BoxMuller.sineCosine($0).sine }, Foundation.sin)
        let cosine = BoxMullerTests.largestError(inputs, { BoxMuller.sineCosine($0).cosine }, Foundation.cos)
        #expect(sine.ulps <= 1, "sine: \(sine.ulps) ulp at \(sine.at)")
        #expect(cosine.ulps <= 1, "cosine: \(cosine.ulps) ulp at \(cosine.at)")
        let (zeroSine, zeroCosine) = BoxMuller.sineCosine(Doubles(repeating: 0))
        #expect(zeroSine == Doubles(repeating: 0) && zeroCosine == Doubles(repeating: 1))
    }
}
