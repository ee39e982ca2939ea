// Box-Muller four pairs at a time: the logarithm, square root, sine and cosine in double
// precision on SIMD4<Double>, with our own polynomials instead of libm's scalar calls.
// Stage: runtime. Why: a libm log and sincos per pair cost ~40 ns, and a GAN step draws 12,800
// normals (about 6% of a W5 epoch's CPU time went to them).
//
// Only the vector types' +, −, ×, ÷ and integer bit operations are used, which swiftc turns into
// vector instructions. It leaves `addingProduct` chains and `squareRoot()` on SIMDn<Double> as
// scalar code (a fused multiply-add or a libm call per lane), and lane-wise selects
// (`replacing(with:where:)`) made LLVM compute whole polynomials one lane at a time, so selects
// are masks built from integer arithmetic. `Benchmarks/check_assembly.sh` checks the result.
// Each function is within about one double ulp of the exact value (tests compare with libm), so
// after the final rounding to Float a pair almost never differs from libm's (none in the tests'
// millions of draws). IEEE operations in a fixed order give the same values on every CPU and C
// library (libm's need not: glibc picks FMA or SSE2 code at run time).

/// The vector Box-Muller behind `SeededGenerator.fillNormal`; public for the tests that hold its
/// functions to libm.
public enum BoxMuller {
    public typealias Doubles = SIMD4<Double>
    typealias Words = SIMD4<UInt64>

    /// Standard normal pairs from four pairs of raw draws (53-bit uniforms u1 from `first`,
    /// kept above 0, and u2 from `second`): (√(−2 ln u1)·cos 2πu2, √(−2 ln u1)·sin 2πu2).
    @inline(__always)
    static func transform(_ first: SIMD4<UInt64>, _ second: SIMD4<UInt64>) -> (cosine: SIMD4<Float>, sine: SIMD4<Float>) {
        // u1 = 0 (a draw below 2¹¹) becomes the least normal double, as max(u1, that) would.
        let zero = ((first &>> 11) &- 1) &>> 63
        let u1 = uniform(first) + doubles(zero &* Double.leastNormalMagnitude.bitPattern)
        let u2 = uniform(second)
        let radius = squareRoot(-2 * logarithm(u1))
        let (sine, cosine) = sineCosine(2 * .pi * u2)
        return (SIMD4<Float>(radius * cosine), SIMD4<Float>(radius * sine))
    }

    /// `values` normals (2·`pairs` or one fewer) from `2·pairs` raw draws: pair p's two values
    /// (buffer[2p], buffer[2p + 1]) from draws 2p and 2p + 1. Lanes are independent, and a last
    /// group of fewer than four pairs runs with zero draws in the unused lanes, so a value is the
    /// same wherever its group of four starts (the pool's parts start anywhere).
    static func normals(from draws: UnsafePointer<UInt64>, pairs: Int, values: Int,
                        into buffer: UnsafeMutablePointer<Float>) {
        var pair = 0
        while pair < pairs {
            let lanes = min(4, pairs - pair)
            var first = SIMD4<UInt64>(), second = SIMD4<UInt64>()
            for lane in 0..<lanes {
                first[lane] = draws[2 &* (pair &+ lane)]
                second[lane] = draws[2 &* (pair &+ lane) &+ 1]
            }
            let (cosine, sine) = transform(first, second)
            let interleaved = interleave(cosine, sine)
            let stored = min(8, values &- 2 &* pair)
            if stored == 8 {
                UnsafeMutableRawPointer(buffer + 2 &* pair).storeBytes(of: interleaved, as: SIMD8<Float>.self)
            } else {
                for value in 0..<stored { buffer[2 &* pair &+ value] = interleaved[value] }
            }
            pair += lanes
        }
    }

    @inline(__always) static func doubles(_ bits: Words) -> Doubles { unsafeBitCast(bits, to: Doubles.self) }
    @inline(__always) static func words(_ x: Doubles) -> Words { unsafeBitCast(x, to: Words.self) }

    /// (draw >> 11)·2⁻⁵³, exactly. A word w < 2⁵² or'ed into the mantissa of 2⁵² reads as 2⁵² + w;
    /// the 53rd bit is added on its own. (No integer-to-double conversion, which AVX2 lacks.)
    @inline(__always)
    static func uniform(_ draw: Words) -> Doubles {
        let bits = draw &>> 11
        let low = doubles((bits & 0xF_FFFF_FFFF_FFFF) | 0x4330_0000_0000_0000) - 0x1p52
        let high = doubles((bits &>> 52) &* 0x4330_0000_0000_0000) // 2⁵² when bit 52 is set, else 0
        return (low + high) * 0x1p-53
    }

    /// ln x for positive normal x: x = 2ᵉ·m with m in [√2/2, √2); with f = m − 1 and
    /// s = f/(2 + f) (|s| ≤ 0.172), ln m = 2·atanh s = f − (f²/2 − s·(f²/2 + R)), R the atanh
    /// series Σ 2s²ᵏ/(2k+1) to s²⁰ (the next term is under 10⁻¹⁶ of the result). fdlibm's log
    /// sums it in this order, which keeps the error under an ulp; e·ln 2 in two parts, the
    /// first with 42 bits so that e times it is exact.
    @inline(__always)
    public static func logarithm(_ x: Doubles) -> Doubles {
        let bits = words(x)
        let mantissa = (bits & 0xF_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000
        // 1 where m > √2 (positive doubles order as their bit patterns), else 0.
        let above = 1 &- ((mantissa &- 0x3FF6_A09E_667F_3BCD &- 1) &>> 63)
        // m halved there; the biased exponent plus that 1, or'ed into the mantissa of 2⁵² as
        // above, minus 2⁵² and the bias.
        let m = doubles(mantissa &- (above &<< 52))
        let e = doubles(((bits &>> 52) &+ above) | 0x4330_0000_0000_0000) - (0x1p52 + 1023)
        let f = m - 1  // exact: m is within a factor of 2 of 1
        let s = f / (2 + f), z = s * s
        var r = Doubles(repeating: 2.0 / 21)
        r = r * z + 2.0 / 19
        r = r * z + 2.0 / 17
        r = r * z + 2.0 / 15
        r = r * z + 2.0 / 13
        r = r * z + 2.0 / 11
        r = r * z + 2.0 / 9
        r = r * z + 2.0 / 7
        r = r * z + 2.0 / 5
        r = r * z + 2.0 / 3
        r *= z
        let halfSquare = 0.5 * f * f
        let ln2High = 0x1.62e42fefa38p-1, ln2Low = 5.497923018708371e-14
        return e * ln2High - ((halfSquare - (s * (halfSquare + r) + e * ln2Low)) - f)
    }

    /// √x for positive normal x, within an ulp: 1/√x from the exponent-halving bit trick (3.4%
    /// off) and three Newton steps (→ 3·10⁻¹¹), then one Heron correction s + ½·y·(x − s²) of
    /// s = x·y, which squares the error. The residual x − s² must not lose its digits to
    /// rounding, and without a fused multiply-add (see the top of the file) s is split into two
    /// 26-bit halves (Veltkamp), whose products are exact. Newton alone left 3 ulp.
    @inline(__always)
    public static func squareRoot(_ x: Doubles) -> Doubles {
        var y = doubles(0x5FE6_EB50_C7B5_37A9 &- (words(x) &>> 1))
        let half = 0.5 * x
        y = y * (1.5 - half * y * y)
        y = y * (1.5 - half * y * y)
        y = y * (1.5 - half * y * y)
        let s = x * y
        let scaled = s * 134_217_729  // 2²⁷ + 1
        let high = scaled - (scaled - s), low = s - high
        let residual = ((x - high * high) - 2 * high * low) - low * low
        return s + 0.5 * y * residual
    }

    /// (sin x, cos x) for 0 ≤ x < 8: x = q·π/2 + y with q = round(2x/π) and |y| ≤ π/4 (π/2 in
    /// three parts, Cody and Waite: q times the first two is exact for q < 8), then Taylor
    /// polynomials to y¹⁷ and y¹⁶ (next terms below 10⁻¹⁸) and the quadrant's swap and signs.
    @inline(__always)
    public static func sineCosine(_ x: Doubles) -> (sine: Doubles, cosine: Doubles) {
        // Adding 1.5·2⁵² rounds 2x/π to an integer (to nearest, ties to even) in the low mantissa bits.
        let shifted = x * 0x1.45f306dc9c883p-1 + 0x1.8p52  // 2/π
        let q = shifted - 0x1.8p52
        let quadrant = words(shifted) & 3
        let pio2First = 0x1.921fb544p0, pio2Second = 0x1.0b4611a6p-34, pio2Third = 2.0222662487959506e-21
        let y = ((x - q * pio2First) - q * pio2Second) - q * pio2Third
        let z = y * y
        var sp = Doubles(repeating: 2.8114572543455206e-15)
        sp = sp * z + -7.647163731819816e-13
        sp = sp * z + 1.6059043836821613e-10
        sp = sp * z + -2.505210838544172e-08
        sp = sp * z + 2.7557319223985893e-06
        sp = sp * z + -0.0001984126984126984
        sp = sp * z + 0.008333333333333333
        sp = sp * z + -0.16666666666666666
        let sine = y + y * z * sp
        var cp = Doubles(repeating: 4.779477332387385e-14)
        cp = cp * z + -1.1470745597729725e-11
        cp = cp * z + 2.08767569878681e-09
        cp = cp * z + -2.755731922398589e-07
        cp = cp * z + 2.48015873015873e-05
        cp = cp * z + -0.001388888888888889
        cp = cp * z + 0.041666666666666664
        // 1 − z/2 rounded, plus what the rounding lost (exact), plus the rest of the series.
        let halfZ = 0.5 * z, w = 1 - halfZ
        let cosine = w + (((1 - w) - halfZ) + z * z * cp)
        // Quadrants 1 and 3 swap sine and cosine; the sine is negative in 2 and 3, the cosine in 1 and 2.
        let swap = 0 &- (quadrant & 1)  // all ones in quadrants 1 and 3
        let sineBits = (words(sine) & ~swap) | (words(cosine) & swap)
        let cosineBits = (words(cosine) & ~swap) | (words(sine) & swap)
        return (doubles(sineBits ^ ((quadrant & 2) &<< 62)), doubles(cosineBits ^ (((quadrant &+ 1) & 2) &<< 62)))
    }

    /// [c0, s0, c1, s1, c2, s2, c3, s3]: a pair's two values side by side, as `fillNormal` stores them.
    @inline(__always)
    static func interleave(_ cosine: SIMD4<Float>, _ sine: SIMD4<Float>) -> SIMD8<Float> {
        // One permutation of the concatenation: picking lanes of the two vectors directly made
        // LLVM compute every lane of the sine and cosine polynomials with scalar instructions.
        let both = SIMD8(lowHalf: cosine, highHalf: sine)
        return SIMD8(both[0], both[4], both[1], both[5], both[2], both[6], both[3], both[7])
    }
}
