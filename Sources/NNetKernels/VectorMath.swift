// Vectorised exp, sigmoid and tanh on SIMD16<Float>, and the activations built on them.
// Stage: kernels. Shared by the GEMM epilogue, pointwise kernels, softmax and losses.

/// 16-lane elementary functions. swiftc cannot vectorise calls to `expf`/`tanhf`, so these are
/// polynomial versions built from FMAs, rounding and exponent-bit arithmetic only.
enum Vector {
    typealias F = SIMD16<Float>

    /// e^x, Cephes' `expf` scheme: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two parts so
    /// n·ln2 is exact), e^r by a degree-6 polynomial, times 2^n built in the exponent bits.
    /// Measured ≤ 2 ulp over [-87.3, 88] (sigmoid, which adds a division, ≤ 3.2 ulp). Inputs below
    /// -87.3 return 0 (`expf` would return a denormal, < 1.2e-38); inputs above 88 saturate at
    /// e^88 ≈ 1.65e38 so 2^n never overflows the exponent field. NaN propagates.
    ///
    /// Rounding uses the 1.5·2^23 trick: adding it leaves round-to-nearest(x·log2 e) in the low
    /// mantissa bits, which are also 2^n's exponent after a shift. Only FMAs, blends and integer
    /// adds/shifts: `rounded(_:)`, `clamped` and SIMD Int32↔Float conversions are generic calls
    /// in the standard library that swiftc does not specialise here.
    @_transparent static func exp(_ x: F) -> F {
        let clamped = minimum(maximum(x, F(repeating: -87.3)), F(repeating: 88.0))
        let shifted = clamped * F(repeating: 1.44269504088896341) + roundingShift
        let n = shifted - roundingShift
        var r = clamped.addingProduct(n, F(repeating: -0.693359375))
        r = r.addingProduct(n, F(repeating: 2.12194440e-4))
        var p = F(repeating: 1.9875691500e-4)
        p = F(repeating: 1.3981999507e-3).addingProduct(p, r)
        p = F(repeating: 8.3334519073e-3).addingProduct(p, r)
        p = F(repeating: 4.1665795894e-2).addingProduct(p, r)
        p = F(repeating: 1.6666665459e-1).addingProduct(p, r)
        p = F(repeating: 5.0000001201e-1).addingProduct(p, r)
        let y = (r + 1).addingProduct(p, r * r)
        // bits(shifted) = 0x4B40_0000 + n, so (bits - 0x4B40_0000 + 127) << 23 is 2^n.
        let bits: SIMD16<Int32> = unsafeBitCast(shifted, to: SIMD16<Int32>.self)
        let scale: F = unsafeBitCast((bits &- (0x4B40_0000 - 127)) &<< 23, to: F.self)
        // NaN stays NaN (x != x), so a diverging model still shows a NaN loss.
        return (y * scale).replacing(with: 0, where: x .< -87.3).replacing(with: x, where: x .!= x)
    }

    /// 1.5·2^23: adding and subtracting it rounds a float of magnitude < 2^22 to an integer.
    static let roundingShift = F(repeating: 12_582_912)

    /// 1 / (1 + e^-x). Measured ≤ 3.2 ulp.
    @_transparent static func sigmoid(_ x: F) -> F {
        1 / (1 + exp(-x))
    }

    /// tanh x. For |x| ≥ 0.4: (1 - t)/(1 + t)·sign(x) with t = e^(-2|x|) ≤ 0.45, which has no
    /// cancellation; for |x| < 0.4: its Taylor series to x^15 (truncation < 2e-9 relative).
    /// Measured ≤ 2.1 ulp over [-10, 10].
    @_transparent static func tanh(_ x: F) -> F {
        let magnitude = x.replacing(with: -x, where: x .< 0)
        let t = exp(-2 * magnitude)
        let large = (1 - t) / (1 + t)
        let signed = large.replacing(with: -large, where: x .< 0)
        let z = x * x
        var p = F(repeating: 929569.0 / 638512875.0)
        p = F(repeating: -21844.0 / 6081075.0).addingProduct(p, z)
        p = F(repeating: 1382.0 / 155925.0).addingProduct(p, z)
        p = F(repeating: -62.0 / 2835.0).addingProduct(p, z)
        p = F(repeating: 17.0 / 315.0).addingProduct(p, z)
        p = F(repeating: -2.0 / 15.0).addingProduct(p, z)
        p = F(repeating: 1.0 / 3.0).addingProduct(p, z)
        let small = x.addingProduct(-x * z, p)
        return signed.replacing(with: small, where: magnitude .< 0.4)
    }

    /// √x for x ≥ 0 (16 lanes), ≤ 1 ulp. `SIMD16.squareRoot()` and `Float.squareRoot()` compile to
    /// 16 `sqrtf` calls or scalar `vsqrtss` here, never `vsqrtps`, so: 1/√x from the exponent-halving
    /// bit trick (3.4e-3 relative error), two Newton steps (→ 1e-9 before rounding), then one Heron
    /// correction s + ½·y·(x - s²) of s = x·y, which leaves the rounding of the last FMA.
    /// √0 = 0, negative → NaN like `sqrtf`; √∞ = NaN (unused: Adam's second moment is finite).
    @_transparent static func squareRoot(_ x: F) -> F {
        let bits: SIMD16<Int32> = unsafeBitCast(x, to: SIMD16<Int32>.self)
        var y: F = unsafeBitCast(0x5F37_5A86 &- (bits &>> 1), to: F.self)
        let half = x * 0.5
        y = y * (1.5 - half * y * y)
        y = y * (1.5 - half * y * y)
        let s = x * y
        // The Newton steps give inf·0 = NaN for x = inf; sqrt(inf) is inf (Adam's second moment
        // of an overflowing gradient must give a zero step, not a NaN weight).
        return s.addingProduct(y * 0.5, x - s * s).replacing(with: .nan, where: x .< 0)
            .replacing(with: .infinity, where: x .== .infinity)
    }

    /// The stdlib's `pointwiseMax`/`pointwiseMin` lane for lane (`Swift.max`/`min`: b >= a ? b : a
    /// and b < a ? b : a, so NaN and signed zeros come out the same), written with comparisons
    /// and blends: the stdlib versions are generic functions that swiftc calls out of line here
    /// (6.7% + 4.1% of a VAE epoch when the functions above were force-inlined).
    @_transparent static func maximum(_ a: F, _ b: F) -> F { a.replacing(with: b, where: a .<= b) }
    @_transparent static func minimum(_ a: F, _ b: F) -> F { a.replacing(with: b, where: b .< a) }

    /// min(max(x, low), high) lane-wise.
    @inline(__always) static func clamp(_ x: F, _ low: Float, _ high: Float) -> F {
        minimum(maximum(x, F(repeating: low)), F(repeating: high))
    }

    /// `kind.apply` on 16 lanes, with the same NaN/-0 behaviour as the scalar version for relu.
    @inline(__always) static func activate(_ x: F, _ kind: ActivationKind) -> F {
        switch kind {
        case .linear: return x
        case .relu: return x.replacing(with: 0, where: .!(x .> 0))
        case .leakyRelu(let alpha): return x.replacing(with: x * alpha, where: .!(x .> 0))
        case .sigmoid: return sigmoid(x)
        case .tanh: return tanh(x)
        }
    }

    /// `activate` for the tile epilogues (GEMM micro-kernel, convolution tiles), which finish 16
    /// vectors per tile: relu and linear inline, the transcendental ones through one out-of-line
    /// call. With `activate` itself the compiler outlined the whole switch (sigmoid and tanh make
    /// it large) and called it per vector: 1.6% of a W4 epoch, mostly the first convolution's.
    @_transparent static func activateInEpilogue(_ x: F, _ kind: ActivationKind) -> F {
        switch kind {
        case .relu: return x.replacing(with: 0, where: .!(x .> 0))
        case .linear: return x
        default: return activateOutOfLine(x, kind)
        }
    }

    @inline(never) static func activateOutOfLine(_ x: F, _ kind: ActivationKind) -> F { activate(x, kind) }

    /// `kind.derivative(output:)` on 16 lanes.
    @inline(__always) static func derivative(output y: F, _ kind: ActivationKind) -> F {
        switch kind {
        case .linear: return F(repeating: 1)
        case .relu: return F(repeating: 0).replacing(with: 1, where: y .> 0)
        case .leakyRelu(let alpha): return F(repeating: alpha).replacing(with: 1, where: y .> 0)
        case .sigmoid: return y * (1 - y)
        case .tanh: return 1 - y * y
        }
    }

    /// Natural log for positive normal x (Cephes `logf`): x = 2^e·m with m in [√½, √2), log(m) by
    /// a degree-9 polynomial in m - 1, plus e·ln2 in two parts. Error ≤ 2 ulp (tested against
    /// `logf`). 0 gives a large negative finite value, negatives and NaN unspecified: every caller
    /// clips its argument to ≥ 1e-7 or ≥ Float.leastNormalMagnitude first.
    @_transparent static func log(_ x: F) -> F {
        let bits: SIMD16<Int32> = unsafeBitCast(x, to: SIMD16<Int32>.self)
        // The unbiased exponent as a float, via the 1.5·2^23 trick (see `exp`).
        var e = unsafeBitCast((bits &>> 23) &+ (0x4B40_0000 - 126), to: F.self) - roundingShift
        var m: F = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F00_0000, to: F.self)  // mantissa in [0.5, 1)
        let small = m .< 0.707106781186547524
        e = e.replacing(with: e - 1, where: small)
        m = (m - 1).replacing(with: m + m - 1, where: small)
        let z = m * m
        var p = F(repeating: 7.0376836292e-2)
        p = F(repeating: -1.1514610310e-1).addingProduct(p, m)
        p = F(repeating: 1.1676998740e-1).addingProduct(p, m)
        p = F(repeating: -1.2420140846e-1).addingProduct(p, m)
        p = F(repeating: 1.4249322787e-1).addingProduct(p, m)
        p = F(repeating: -1.6668057665e-1).addingProduct(p, m)
        p = F(repeating: 2.0000714765e-1).addingProduct(p, m)
        p = F(repeating: -2.4999993993e-1).addingProduct(p, m)
        p = F(repeating: 3.3333331174e-1).addingProduct(p, m)
        var y = p * m * z
        y = y.addingProduct(e, F(repeating: -2.12194440e-4))
        y = y.addingProduct(z, F(repeating: -0.5))
        return (m + y).addingProduct(e, F(repeating: 0.693359375))
    }

    /// log(1 + u) for u ≥ 0, accurate for tiny u: log(w)·u/(w - 1) with w = 1 + u corrects the
    /// rounding of w (Goldberg's trick); u when w rounds to 1.
    @_transparent static func log1p(_ u: F) -> F {
        let w = 1 + u
        let d = w - 1
        return (log(w) * (u / d)).replacing(with: u, where: d .== 0)
    }

    // MARK: - Loops

    /// Calls `body(offset, lanes)` for offset = 0, 16, 32, ... with lanes = 16, then once with
    /// lanes = count % 16 if non-zero. Use `load(_:lanes:)`/`store(_:_:lanes:)` inside; the main
    /// loop's calls are inlined with lanes = 16 constant, so its branches fold away.
    ///
    /// The optimiser may keep a large closure out of line and call it once per 16 floats: it did
    /// with Adam's update, whose call prologue (realigning the stack for zmm spills) cost a third
    /// of the update's time; Adam now runs the same loop around an `@inline(__always)` local
    /// function, whose direct calls are always inlined. Not a general cure: the sigmoid
    /// cross-entropy chunk written that way (with the tail's partial loads out of line) was
    /// compiled to 4-wide xmm arithmetic and ran 2x slower (SIMD16 values crossing a call travel
    /// as four xmm halves), and `@_transparent` here put every body out of line. Check the
    /// assembly (zmm, no call in the loop) when changing a hot kernel.
    @inline(__always) static func forEach(_ count: Int, _ body: (_ offset: Int, _ lanes: Int) -> Void) {
        var i = 0
        while i &+ 16 <= count {
            body(i, 16)
            i &+= 16
        }
        if i < count { body(i, count &- i) }
    }

    /// `forEach` for a body that returns a vector: the sum of what it returned. A body that adds
    /// to a variable of its caller's instead captures it, and the compiler may box the captured
    /// SIMD16 on the heap at every call (the optimizer updates did: 4 allocations per step).
    @inline(__always) static func sumEach(_ count: Int, _ body: (_ offset: Int, _ lanes: Int) -> F) -> F {
        var sum = F(), i = 0
        while i &+ 16 <= count {
            sum += body(i, 16)
            i &+= 16
        }
        if i < count { sum += body(i, count &- i) }
        return sum
    }

    /// `lanes` floats from p, the rest `padding`.
    @inline(__always) static func load(_ p: UnsafePointer<Float>, lanes: Int, padding: Float = 0) -> F {
        if lanes == 16 { return load(p) }
        var v = F(repeating: padding)
        for i in 0..<lanes { v[i] = p[i] }
        return v
    }

    /// Stores the first `lanes` floats of v.
    @inline(__always) static func store(_ v: F, _ p: UnsafeMutablePointer<Float>, lanes: Int) {
        if lanes == 16 { store(v, p); return }
        for i in 0..<lanes { p[i] = v[i] }
    }

    /// Adds the 16 lanes of v to an 8-lane double accumulator (exact widening, so long sums keep
    /// float32 inputs' precision the way the reference's Double sums do).
    @inline(__always) static func accumulate(_ v: F, into sum: inout SIMD8<Double>) {
        sum += SIMD8<Double>(v.lowHalf) + SIMD8<Double>(v.highHalf)
    }

    /// Sum of the 16 lanes.
    @inline(__always) static func sum(_ x: F) -> Float { x.sum() }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> F {
        UnsafeRawPointer(p).loadUnaligned(as: F.self)
    }

    @inline(__always) static func store(_ v: F, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: F.self)
    }
}
