// The GEMM register tile: an 8x32 block of C held in 16 SIMD16<Float> accumulators (zmm on AVX-512).
// Stage: kernels. Called by the blocked driver in GEMM.swift for every 8x32 tile and k block.

extension Kernels {
    /// Rows of C per micro-tile (values of op(A) broadcast per k step).
    static let tileRows = 8
    /// Columns of C per micro-tile (two 16-float vectors of op(B) per k step).
    static let tileColumns = 32
    /// Columns of the half-width tile that edge strips of at most 16 columns run.
    static let halfTileColumns = 16

    /// C[0..<8, 0..<32] = finish((load ? C : 0) + Σ_p A[i, p]·B[p, j]) for p in 0..<depth.
    ///
    /// A[i, p] is read at `a + i·aRowStride + p·aDepthStride` (packed: 1 and 8; a row-major A read in
    /// place: lda and 1; a transposed A in place: 1 and lda). B[p, 0..<32] is 32 contiguous floats at
    /// `b + p·bDepthStride` (packed: 32; a row-major B in place: ldb). `activation` is non-nil only
    /// for the last k block: then `bias[0..<32]` (if any) is added and the activation applied.
    ///
    /// Per k step: 2 vector loads, 8 broadcasts, 16 FMAs. Zen 4 retires one 512-bit FMA per cycle
    /// with 4 cycles latency, so 16 independent accumulators keep the FMA pipes full; measured
    /// ~115 GFLOP/s on L1-resident operands (3.6 GHz × 32 flops/cycle). Each element of C is a
    /// plain FMA chain in increasing p, then added to C, so the result never depends on how C was
    /// split over threads.
    @inline(never)
    static func microKernel(depth: Int, a: UnsafePointer<Float>, aRowStride rs: Int, aDepthStride cs: Int,
                            b: UnsafePointer<Float>, bDepthStride bs: Int,
                            c: UnsafeMutablePointer<Float>, ldc: Int, load: Bool,
                            bias: UnsafePointer<Float>?, activation: ActivationKind?) {
        // Accumulate from zero and add C after the loop: the C tile (16 lines, often in L3 or DRAM
        // for large C) is prefetched now and arrives during the k loop instead of stalling every
        // FMA chain at the start. Measured at 2048³ with k blocks of 384: 99 → 106 GFLOP/s.
        for r in 0..<8 {
            prefetchForWrite(c + r &* ldc)
            prefetchForWrite(c + (r &* ldc &+ 16))
        }
        var c0a = SIMD16<Float>(), c0b = SIMD16<Float>(), c1a = SIMD16<Float>(), c1b = SIMD16<Float>()
        var c2a = SIMD16<Float>(), c2b = SIMD16<Float>(), c3a = SIMD16<Float>(), c3b = SIMD16<Float>()
        var c4a = SIMD16<Float>(), c4b = SIMD16<Float>(), c5a = SIMD16<Float>(), c5b = SIMD16<Float>()
        var c6a = SIMD16<Float>(), c6b = SIMD16<Float>(), c7a = SIMD16<Float>(), c7b = SIMD16<Float>()
        var ap = a
        var bp = UnsafeRawPointer(b)
        let bStep = bs &* 4
        let rs2 = rs &* 2, rs3 = rs &* 3, rs4 = rs &* 4, rs5 = rs &* 5, rs6 = rs &* 6, rs7 = rs &* 7
        for _ in 0..<depth {
            let b0 = bp.loadUnaligned(as: SIMD16<Float>.self)
            let b1 = bp.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
            var x = SIMD16<Float>(repeating: ap[0])
            c0a = c0a.addingProduct(x, b0); c0b = c0b.addingProduct(x, b1)
            x = SIMD16<Float>(repeating: ap[rs])
            c1a = c1a.addingProduct(x, b0); c1b = c1b.addingProduct(x, b1)
            x = SIMD16<Float>(repeating: ap[rs2])
            c2a = c2a.addingProduct(x, b0); c2b = c2b.addingProduct(x, b1)
            x = SIMD16<Float>(repeating: ap[rs3])
            c3a = c3a.addingProduct(x, b0); c3b = c3b.addingProduct(x, b1)
            x = SIMD16<Float>(repeating: ap[rs4])
            c4a = c4a.addingProduct(x, b0); c4b = c4b.addingProduct(x, b1)
            x = SIMD16<Float>(repeating: ap[rs5])
            c5a = c5a.addingProduct(x, b0); c5b = c5b.addingProduct(x, b1)
            x = SIMD16<Float>(repeating: ap[rs6])
            c6a = c6a.addingProduct(x, b0); c6b = c6b.addingProduct(x, b1)
            x = SIMD16<Float>(repeating: ap[rs7])
            c7a = c7a.addingProduct(x, b0); c7b = c7b.addingProduct(x, b1)
            ap += cs
            bp += bStep
        }
        if load {
            @inline(__always) func add(_ r: Int, _ lo: inout SIMD16<Float>, _ hi: inout SIMD16<Float>) {
                let p = UnsafeRawPointer(c + r &* ldc)
                lo += p.loadUnaligned(as: SIMD16<Float>.self)
                hi += p.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
            }
            add(0, &c0a, &c0b); add(1, &c1a, &c1b); add(2, &c2a, &c2b); add(3, &c3a, &c3b)
            add(4, &c4a, &c4b); add(5, &c5a, &c5b); add(6, &c6a, &c6b); add(7, &c7a, &c7b)
        }
        let biasA = bias.map { Vector.load($0) } ?? SIMD16<Float>()
        let biasB = bias.map { Vector.load($0 + 16) } ?? SIMD16<Float>()
        storeTileRow(c0a, c0b, to: c, biasA: biasA, biasB: biasB, activation: activation)
        storeTileRow(c1a, c1b, to: c + 1 &* ldc, biasA: biasA, biasB: biasB, activation: activation)
        storeTileRow(c2a, c2b, to: c + 2 &* ldc, biasA: biasA, biasB: biasB, activation: activation)
        storeTileRow(c3a, c3b, to: c + 3 &* ldc, biasA: biasA, biasB: biasB, activation: activation)
        storeTileRow(c4a, c4b, to: c + 4 &* ldc, biasA: biasA, biasB: biasB, activation: activation)
        storeTileRow(c5a, c5b, to: c + 5 &* ldc, biasA: biasA, biasB: biasB, activation: activation)
        storeTileRow(c6a, c6b, to: c + 6 &* ldc, biasA: biasA, biasB: biasB, activation: activation)
        storeTileRow(c7a, c7b, to: c + 7 &* ldc, biasA: biasA, biasB: biasB, activation: activation)
    }

    /// The 8x16 tile: `microKernel` for an edge strip of at most 16 columns (B's strip is still
    /// 32 wide in memory; only its first 16 floats per k step are read). Half the FMAs of the full
    /// tile, with the same chain per element of C, so results equal the full tile's. 128x400
    /// products end in a 16-column strip: with the full tile it cost as much as a whole one.
    @inline(never)
    static func microKernelHalf(depth: Int, a: UnsafePointer<Float>, aRowStride rs: Int, aDepthStride cs: Int,
                                b: UnsafePointer<Float>, bDepthStride bs: Int,
                                c: UnsafeMutablePointer<Float>, ldc: Int, load: Bool,
                                bias: UnsafePointer<Float>?, activation: ActivationKind?) {
        for r in 0..<8 { prefetchForWrite(c + r &* ldc) }
        var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>(), c3 = SIMD16<Float>()
        var c4 = SIMD16<Float>(), c5 = SIMD16<Float>(), c6 = SIMD16<Float>(), c7 = SIMD16<Float>()
        var ap = a
        var bp = UnsafeRawPointer(b)
        let bStep = bs &* 4
        let rs2 = rs &* 2, rs3 = rs &* 3, rs4 = rs &* 4, rs5 = rs &* 5, rs6 = rs &* 6, rs7 = rs &* 7
        for _ in 0..<depth {
            let b0 = bp.loadUnaligned(as: SIMD16<Float>.self)
            c0 = c0.addingProduct(SIMD16<Float>(repeating: ap[0]), b0)
            c1 = c1.addingProduct(SIMD16<Float>(repeating: ap[rs]), b0)
            c2 = c2.addingProduct(SIMD16<Float>(repeating: ap[rs2]), b0)
            c3 = c3.addingProduct(SIMD16<Float>(repeating: ap[rs3]), b0)
            c4 = c4.addingProduct(SIMD16<Float>(repeating: ap[rs4]), b0)
            c5 = c5.addingProduct(SIMD16<Float>(repeating: ap[rs5]), b0)
            c6 = c6.addingProduct(SIMD16<Float>(repeating: ap[rs6]), b0)
            c7 = c7.addingProduct(SIMD16<Float>(repeating: ap[rs7]), b0)
            ap += cs
            bp += bStep
        }
        if load {
            c0 += Vector.load(c); c1 += Vector.load(c + ldc); c2 += Vector.load(c + 2 &* ldc)
            c3 += Vector.load(c + 3 &* ldc); c4 += Vector.load(c + 4 &* ldc); c5 += Vector.load(c + 5 &* ldc)
            c6 += Vector.load(c + 6 &* ldc); c7 += Vector.load(c + 7 &* ldc)
        }
        let biasA = bias.map { Vector.load($0) } ?? SIMD16<Float>()
        storeHalfTileRow(c0, to: c, bias: biasA, activation: activation)
        storeHalfTileRow(c1, to: c + ldc, bias: biasA, activation: activation)
        storeHalfTileRow(c2, to: c + 2 &* ldc, bias: biasA, activation: activation)
        storeHalfTileRow(c3, to: c + 3 &* ldc, bias: biasA, activation: activation)
        storeHalfTileRow(c4, to: c + 4 &* ldc, bias: biasA, activation: activation)
        storeHalfTileRow(c5, to: c + 5 &* ldc, bias: biasA, activation: activation)
        storeHalfTileRow(c6, to: c + 6 &* ldc, bias: biasA, activation: activation)
        storeHalfTileRow(c7, to: c + 7 &* ldc, bias: biasA, activation: activation)
    }

    /// `storeTileRow` for the half-width tile's one vector per row.
    @_transparent
    static func storeHalfTileRow(_ row: SIMD16<Float>, to p: UnsafeMutablePointer<Float>,
                                 bias: SIMD16<Float>, activation: ActivationKind?) {
        if let activation {
            Vector.store(Vector.activateInEpilogue(row + bias, activation), p)
        } else {
            Vector.store(row, p)
        }
    }

    /// Stores row r of an 8x32 tile (`lo`, `hi`: its two 16-float halves) at `p`, with the bias
    /// halves added and the activation applied unless `activation` is nil: the epilogue of the
    /// micro-kernel and the convolution tiles. Their local `store`/`finish` closures were outlined
    /// and called once per row (perf, 1-thread W4 epoch: 2.5% of the time in the convolution
    /// tiles' two); so was this function under @inline(__always), hence transparent. W4 batch 64,
    /// 1 thread, best of 11, 3 A/B rounds: conv1 forward 713-741 → 486-502 µs, conv2 forward
    /// 4.62-4.70 → 4.32-4.40 ms.
    @_transparent
    static func storeTileRow(_ lo: SIMD16<Float>, _ hi: SIMD16<Float>, to p: UnsafeMutablePointer<Float>,
                             biasA: SIMD16<Float>, biasB: SIMD16<Float>, activation: ActivationKind?) {
        if let activation {
            Vector.store(Vector.activateInEpilogue(lo + biasA, activation), p)
            Vector.store(Vector.activateInEpilogue(hi + biasB, activation), p + 16)
        } else {
            Vector.store(lo, p)
            Vector.store(hi, p + 16)
        }
    }

    /// One tile of `rows` ≤ 8 by `columns` ≤ 32. Full tiles (8x32, or 8x16 on the half-width
    /// kernel) go straight to C; other edge tiles run the kernel on an 8x32 scratch tile (A and B
    /// strips are zero-padded by the caller, so the extra lanes compute zeros) and copy back only
    /// the valid part.
    @inline(__always)
    static func tile(rows: Int, columns: Int, depth: Int,
                     a: UnsafePointer<Float>, aRowStride: Int, aDepthStride: Int,
                     b: UnsafePointer<Float>, bDepthStride: Int,
                     c: UnsafeMutablePointer<Float>, ldc: Int, load: Bool,
                     bias: UnsafePointer<Float>?, activation: ActivationKind?, scratch: UnsafeMutablePointer<Float>) {
        let half = columns <= halfTileColumns
        if rows == tileRows && (columns == tileColumns || columns == halfTileColumns) {
            if half {
                microKernelHalf(depth: depth, a: a, aRowStride: aRowStride, aDepthStride: aDepthStride,
                                b: b, bDepthStride: bDepthStride, c: c, ldc: ldc, load: load,
                                bias: bias, activation: activation)
            } else {
                microKernel(depth: depth, a: a, aRowStride: aRowStride, aDepthStride: aDepthStride,
                            b: b, bDepthStride: bDepthStride, c: c, ldc: ldc, load: load,
                            bias: bias, activation: activation)
            }
            return
        }
        let scratchBias = scratch + tileRows * tileColumns
        if load {
            for i in 0..<rows {
                for j in 0..<columns { scratch[i &* tileColumns &+ j] = c[i &* ldc &+ j] }
            }
        }
        var paddedBias: UnsafePointer<Float>? = nil
        if let bias, activation != nil {
            for j in 0..<tileColumns { scratchBias[j] = j < columns ? bias[j] : 0 }
            paddedBias = UnsafePointer(scratchBias)
        }
        if half {
            microKernelHalf(depth: depth, a: a, aRowStride: aRowStride, aDepthStride: aDepthStride,
                            b: b, bDepthStride: bDepthStride, c: scratch, ldc: tileColumns, load: load,
                            bias: paddedBias, activation: activation)
        } else {
            microKernel(depth: depth, a: a, aRowStride: aRowStride, aDepthStride: aDepthStride,
                        b: b, bDepthStride: bDepthStride, c: scratch, ldc: tileColumns, load: load,
                        bias: paddedBias, activation: activation)
        }
        for i in 0..<rows {
            for j in 0..<columns { c[i &* ldc &+ j] = scratch[i &* tileColumns &+ j] }
        }
    }
}

/// `llvm.prefetch` (locality 3, data cache), which Swift does not expose: declared by its LLVM name
/// so it lowers to `prefetchw`/`prefetcht0` (x86) or `prfm` (arm64). Prefetches never fault, so
/// any address is safe.
@_silgen_name("llvm.prefetch.p0")
@usableFromInline func llvmPrefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ cacheType: Int32)

@inline(__always) func prefetchForWrite(_ address: UnsafeMutablePointer<Float>) {
    llvmPrefetch(UnsafeRawPointer(address), 1, 3, 1)
}

extension Kernels {
    /// Brings the cache line holding `address` toward L1 for reading; a hint that never faults.
    @inlinable @inline(__always)
    public static func prefetch(_ address: UnsafeRawPointer) {
        llvmPrefetch(address, 0, 3, 1)
    }
}

@inline(__always) func prefetchForRead(_ address: UnsafePointer<Float>) {
    llvmPrefetch(UnsafeRawPointer(address), 0, 3, 1)
}
