// Recurrent layers' time loops (simple RNN, LSTM, GRU) forward and backward through time (BPTT),
// and embedding lookups. Stage: kernels. The caller computes the input projection x·W + b of every
// step as one GEMM before the loop; each step then runs one GEMM for all gates' recurrent terms
// of the whole batch and one SIMD pass for the gate nonlinearities. Nothing here allocates.

/// The cell of a recurrent layer. Gates use the sigmoid; `activation` (tanh in Keras and PyTorch)
/// is the candidate's nonlinearity and, in an LSTM, the cell output's.
public enum RecurrentCell: Hashable, Sendable {
    /// h_t = f(x_t·W + b + h_{t−1}·U).
    case simple(ActivationKind)
    /// Columns i, f, g, o (Keras' and PyTorch's order):
    /// c_t = σ(f)⊙c_{t−1} + σ(i)⊙f(g), h_t = σ(o)⊙f(c_t).
    case lstm(ActivationKind)
    /// Columns z (update), r (reset), n (candidate), Keras' order, with the reset applied after the
    /// recurrent product (Keras `reset_after=True`, PyTorch's GRU):
    /// n = f(x·W_n + b_n + r⊙(h_{t−1}·U_n + b′_n)), h_t = z⊙h_{t−1} + (1 − z)⊙n.
    case gru(ActivationKind)

    /// Gate blocks in the projection and the recurrent kernel (their width is gates × units).
    public var gates: Int {
        switch self {
        case .simple: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    public var activation: ActivationKind {
        switch self {
        case .simple(let f), .lstm(let f), .gru(let f): return f
        }
    }

    /// Whether the recurrent term has its own bias b′ and, since the reset gate multiplies part
    /// of it, a gradient dR that differs from the projection's dP (a GRU).
    public var hasRecurrentBias: Bool {
        if case .gru = self { return true }
        return false
    }

    /// The layer keyword: `simple_rnn`, `lstm`, `gru`.
    public var name: String {
        switch self {
        case .simple: return "simple_rnn"
        case .lstm: return "lstm"
        case .gru: return "gru"
        }
    }
}

/// Sizes of one run of a recurrent layer and where its forward pass saves what BPTT needs.
/// Every tensor is batch-major, [batch, time, …] row-major like the projection and the output,
/// so the rows of one time step are `time · width` apart and a range of sequences is a slice.
public struct RecurrentLayout: Sendable, Equatable {
    public let cell: RecurrentCell
    public let batch: Int, time: Int, units: Int

    public init(cell: RecurrentCell, batch: Int, time: Int, units: Int) {
        self.cell = cell
        self.batch = batch
        self.time = time
        self.units = units
    }

    /// Columns of the projection and of the recurrent kernel: gates × units.
    public var width: Int { cell.gates * units }

    // MARK: Saved state, region by region (offsets in floats from the state's start)

    /// Activated gates of every step [batch, time, width] (a simple RNN's: h_t).
    var gatesOffset: Int { 0 }
    /// h_{t−1} of every step [batch, time, units], zeros at t = 0: the left operand of dU.
    var previousOffset: Int { batch * time * width }
    /// LSTM: c_t, then f(c_t) [batch, time, units] each. GRU: h_{t−1}·U_n + b′_n [batch, time, units].
    var extraOffset: Int { previousOffset + batch * time * units }

    /// Floats the forward pass saves for BPTT.
    public var stateElements: Int {
        let extra: Int
        switch cell {
        case .simple: extra = 0
        case .lstm: extra = 2
        case .gru: extra = 1
        }
        return extraOffset + extra * batch * time * units
    }

    /// Scratch of the forward pass: a GRU's recurrent term of one step [batch, width] (the
    /// reference kernel: one h_t [units]).
    public var forwardWorkspaceElements: Int {
        if cell.hasRecurrentBias { return max(batch * width, units) }
        return units
    }

    /// Scratch of BPTT: dh [batch, units], an LSTM's dc [batch, units], and Uᵀ [width, units].
    public var backwardWorkspaceElements: Int { 2 * batch * units + width * units }

    /// Below this many flops the time loop stays on one thread (a dispatch costs ~1-3 µs).
    static let minFlopsPerThread = 4_000_000.0
}

extension Kernels {
    // MARK: - Entry points

    /// Runs a recurrent layer over `layout.time` steps from a zero initial state.
    ///
    /// - projection: [batch, time, width], x_t·W + b for every step.
    /// - recurrentKernel: U [units, width]; recurrentBias: b′ [width] (GRU only, else nil).
    /// - output: [batch, time, units] with `returnSequences`, else h of the last step [batch, units].
    /// - state: `layout.stateElements` floats, written for `recurrentBackward`.
    /// - workspace: `layout.forwardWorkspaceElements` floats.
    ///
    /// Cost 2·batch·time·units·width flops in one GEMM per step (m = batch, n = width, k = units)
    /// plus the gates. Sequences are independent, so the batch is split over `pool` in whole
    /// 8-row GEMM tiles: each row sees the same FMAs whatever the split (bitwise reproducible).
    public static func recurrentForward(_ layout: RecurrentLayout, projection: UnsafePointer<Float>,
                                        recurrentKernel: UnsafePointer<Float>, recurrentBias: UnsafePointer<Float>?,
                                        output: UnsafeMutablePointer<Float>, returnSequences: Bool,
                                        state: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>,
                                        pool: ThreadPool? = ThreadPool.shared) {
        let loop = RecurrentLoop(layout: layout, returnSequences: returnSequences, kernel: recurrentKernel,
                                 state: state, workspace: workspace)
        forEachRowRange(layout, pool: pool, RecurrentForwardRows(loop: loop, projection: projection,
                                                                 recurrentBias: recurrentBias, output: output))
    }

    /// Backpropagation through time of `recurrentForward`.
    ///
    /// - state: what the forward pass saved; outputGradient: dy, shaped like its output.
    /// - projectionGradient: dP [batch, time, width], the gradient of the gates' pre-activations
    ///   with respect to the projection (from which the caller gets dx, dW and db).
    /// - recurrentGradient: dR [batch, time, width], the gradient with respect to the recurrent
    ///   term h_{t−1}·U (+ b′). A GRU only, where the reset gate makes it differ from dP in the
    ///   candidate's columns; for the other cells it equals dP and is nil.
    /// - workspace: `layout.backwardWorkspaceElements` floats.
    ///
    /// Cost: one GEMM per step (dh_{t−1} = dR_t·Uᵀ, m = batch, n = units, k = width) plus the gates.
    /// U is transposed once up front, so the per-step GEMMs read their right operand in place
    /// (packing Uᵀ on each of 50 steps took 8% of an LSTM(64) training epoch).
    public static func recurrentBackward(_ layout: RecurrentLayout, state: UnsafePointer<Float>,
                                         recurrentKernel: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                         returnSequences: Bool, projectionGradient: UnsafeMutablePointer<Float>,
                                         recurrentGradient: UnsafeMutablePointer<Float>?,
                                         workspace: UnsafeMutablePointer<Float>, pool: ThreadPool? = ThreadPool.shared) {
        let (units, width) = (layout.units, layout.width)
        let transposed = workspace + 2 * layout.batch * units
        for k in 0..<units {
            for column in 0..<width { transposed[column * units + k] = recurrentKernel[k * width + column] }
        }
        let loop = RecurrentLoop(layout: layout, returnSequences: returnSequences, kernel: UnsafePointer(transposed),
                                 state: UnsafeMutablePointer(mutating: state), workspace: workspace)
        forEachRowRange(layout, pool: pool, RecurrentBackwardRows(loop: loop, outputGradient: outputGradient,
                                                                  projectionGradient: projectionGradient,
                                                                  recurrentGradient: recurrentGradient ?? projectionGradient))
    }

    /// dU [units, width] = Σ_t h_{t−1}ᵀ·dR_t as one GEMM over all batch × time rows: the saved
    /// h_{t−1} [batch·time, units] transposed times dR [batch·time, width].
    public static func recurrentWeightGradient(_ layout: RecurrentLayout, state: UnsafePointer<Float>,
                                               recurrentGradient: UnsafePointer<Float>,
                                               result: UnsafeMutablePointer<Float>) {
        gemm(transA: true, transB: false, m: layout.units, n: layout.width, k: layout.batch * layout.time,
             a: state + layout.previousOffset, lda: layout.units, b: recurrentGradient, ldb: layout.width,
             c: result, ldc: layout.width, accumulate: false)
    }

    /// output[i, 0..<dimension] = table[ids[i]] for each of `count` ids (Float token ids; an id
    /// outside 0..<vocabulary gives a zero row: data is checked against the vocabulary beforehand).
    public static func embedding(ids: UnsafePointer<Float>, count: Int, table: UnsafePointer<Float>,
                                 vocabulary: Int, dimension: Int, output: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            let row = output + i * dimension
            if let id = tokenIndex(ids[i], vocabulary: vocabulary) {
                copy(table + id * dimension, into: row, count: dimension)
            } else {
                fill(row, with: 0, count: dimension)
            }
        }
    }

    /// dTable [vocabulary, dimension]: zero, then row ids[i] += dy[i] for each of `count` ids, in order.
    public static func embeddingGradient(ids: UnsafePointer<Float>, count: Int, outputGradient: UnsafePointer<Float>,
                                         vocabulary: Int, dimension: Int, result: UnsafeMutablePointer<Float>) {
        fill(result, with: 0, count: vocabulary * dimension)
        for i in 0..<count {
            guard let id = tokenIndex(ids[i], vocabulary: vocabulary) else { continue }
            add(outputGradient + i * dimension, into: result + id * dimension, count: dimension)
        }
    }

    /// The row of token id `value`, nil outside 0..<vocabulary (and for NaN).
    @inlinable public static func tokenIndex(_ value: Float, vocabulary: Int) -> Int? {
        value >= 0 && value < Float(vocabulary) ? Int(value) : nil
    }

    /// Calls `body` on contiguous ranges of the batch: one range, or one per thread when the loop
    /// is worth splitting. Ranges are whole 8-row tiles except the last.
    static func forEachRowRange<Body: RowRangeTask>(_ layout: RecurrentLayout, pool: ThreadPool?, _ body: Body) {
        let flops = 2 * Double(layout.batch) * Double(layout.time) * Double(layout.units) * Double(layout.width)
        let tiles = (layout.batch + tileRows - 1) / tileRows
        let parts = min(pool?.threadCount ?? 1, tiles, max(1, Int(flops / RecurrentLayout.minFlopsPerThread)))
        guard parts > 1, let pool else { return body.run(rows: 0..<layout.batch) }
        pool.parallelFor(parts, RowRangeParts(body: body, batch: layout.batch, tiles: tiles, parts: parts))
    }
}

/// Work on a range of a batch's rows (sequences), for `forEachRowRange`.
protocol RowRangeTask {
    func run(rows: Range<Int>)
}

/// Part p of `parts` runs `body` on tiles p·tiles/parts ..< (p+1)·tiles/parts (8 rows a tile).
struct RowRangeParts<Body: RowRangeTask>: ParallelTask {
    let body: Body
    let batch: Int, tiles: Int, parts: Int
    func run(_ part: Int) {
        let first = part * tiles / parts * Kernels.tileRows
        let last = min(batch, (part + 1) * tiles / parts * Kernels.tileRows)
        body.run(rows: first..<last)
    }
}

/// The forward time loop of `recurrentForward` for some rows.
struct RecurrentForwardRows: RowRangeTask {
    let loop: RecurrentLoop
    let projection: UnsafePointer<Float>, recurrentBias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>
    func run(rows: Range<Int>) {
        loop.forward(rows: rows, projection: projection, recurrentBias: recurrentBias, output: output)
    }
}

/// The backward time loop of `recurrentBackward` for some rows.
struct RecurrentBackwardRows: RowRangeTask {
    let loop: RecurrentLoop
    let outputGradient: UnsafePointer<Float>, projectionGradient: UnsafeMutablePointer<Float>
    let recurrentGradient: UnsafeMutablePointer<Float>
    func run(rows: Range<Int>) {
        loop.backward(rows: rows, outputGradient: outputGradient, projectionGradient: projectionGradient,
                      recurrentGradient: recurrentGradient)
    }
}

/// One layer's loop over time for a range of sequences. Row b, step t of any [batch, time, …]
/// tensor is row b·time + t; the rows of step t are `time` rows apart, which the per-step GEMMs
/// take as their leading dimension.
struct RecurrentLoop {
    let layout: RecurrentLayout
    let returnSequences: Bool
    /// U [units, width] going forward, Uᵀ [width, units] going backward.
    let kernel: UnsafePointer<Float>
    let gates: UnsafeMutablePointer<Float>
    let previous: UnsafeMutablePointer<Float>
    let extra: UnsafeMutablePointer<Float>
    let workspace: UnsafeMutablePointer<Float>

    init(layout: RecurrentLayout, returnSequences: Bool, kernel: UnsafePointer<Float>,
         state: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) {
        self.layout = layout
        self.returnSequences = returnSequences
        self.kernel = kernel
        gates = state + layout.gatesOffset
        previous = state + layout.previousOffset
        extra = state + layout.extraOffset
        self.workspace = workspace
    }

    typealias F = SIMD16<Float>

    // MARK: - Forward

    func forward(rows: Range<Int>, projection: UnsafePointer<Float>, recurrentBias: UnsafePointer<Float>?,
                 output: UnsafeMutablePointer<Float>) {
        let (time, units, width) = (layout.time, layout.units, layout.width)
        for row in rows { Kernels.fill(previous + row * time * units, with: 0, count: units) }
        for t in 0..<time {
            // The recurrent term h_{t−1}·U (+ b′) of every gate for the rows' step t, by one GEMM:
            // into the gates rows, where the gate pass adds the projection, or (GRU, whose reset
            // gate scales part of it) into the workspace. h_{−1} = 0: step 0's term is 0 (or b′).
            let first = rows.lowerBound * time + t
            let (term, ldc) = layout.cell.hasRecurrentBias ? (workspace + rows.lowerBound * width, width)
                : (gates + first * width, time * width)
            if t == 0 {
                for i in 0..<rows.count {
                    if let recurrentBias { Kernels.copy(recurrentBias, into: term + i * ldc, count: width) }
                    else { Kernels.fill(term + i * ldc, with: 0, count: width) }
                }
            } else {
                Kernels.gemm(transA: false, transB: false, m: rows.count, n: width, k: units,
                             a: previous + first * units, lda: time * units, b: kernel, ldb: width,
                             c: term, ldc: ldc, accumulate: false, bias: recurrentBias, activation: .linear, pool: nil)
            }
            for row in rows {
                let index = row * time + t
                let h: UnsafeMutablePointer<Float>? = returnSequences ? output + index * units
                    : (t == time - 1 ? output + row * units : nil)
                let next: UnsafeMutablePointer<Float>? = t + 1 < time ? previous + (index + 1) * units : nil
                switch layout.cell {
                case .simple(let f): simpleForward(index, projection + index * width, f, h, next)
                case .lstm(let f): lstmForward(index, t, projection + index * width, f, h, next)
                case .gru(let f): gruForward(index, row, projection + index * width, f, h, next)
                }
            }
        }
    }

    /// Stores h_t (16 lanes at column j) into the output and the next step's h_{t−1}.
    @inline(__always)
    func storeHidden(_ v: F, _ j: Int, _ lanes: Int, _ h: UnsafeMutablePointer<Float>?, _ next: UnsafeMutablePointer<Float>?) {
        if let h { Vector.store(v, h + j, lanes: lanes) }
        if let next { Vector.store(v, next + j, lanes: lanes) }
    }

    /// h_t = f(p + r) where the gates row holds r = h_{t−1}·U; saves h_t there.
    @inline(__always)
    func simpleForward(_ index: Int, _ p: UnsafePointer<Float>, _ f: ActivationKind,
                       _ h: UnsafeMutablePointer<Float>?, _ next: UnsafeMutablePointer<Float>?) {
        let g = gates + index * layout.width
        Vector.forEach(layout.units) { j, lanes in
            let value = Vector.activate(Vector.load(p + j, lanes: lanes) + Vector.load(g + j, lanes: lanes), f)
            Vector.store(value, g + j, lanes: lanes)
            storeHidden(value, j, lanes, h, next)
        }
    }

    @inline(__always)
    func lstmForward(_ index: Int, _ t: Int, _ p: UnsafePointer<Float>, _ f: ActivationKind,
                     _ h: UnsafeMutablePointer<Float>?, _ next: UnsafeMutablePointer<Float>?) {
        let n = layout.units, plane = layout.batch * layout.time * n
        let g = gates + index * layout.width
        let cell = extra + index * n, cellOutput = extra + plane + index * n
        Vector.forEach(n) { j, lanes in
            @inline(__always) func preactivation(_ block: Int) -> F {
                Vector.load(p + block * n + j, lanes: lanes) + Vector.load(g + block * n + j, lanes: lanes)
            }
            let input = Vector.sigmoid(preactivation(0)), forget = Vector.sigmoid(preactivation(1))
            let candidate = Vector.activate(preactivation(2), f), out = Vector.sigmoid(preactivation(3))
            let previousCell = t > 0 ? Vector.load(cell - n + j, lanes: lanes) : F()
            let c = (forget * previousCell).addingProduct(input, candidate)
            let activated = Vector.activate(c, f)
            Vector.store(input, g + j, lanes: lanes)
            Vector.store(forget, g + n + j, lanes: lanes)
            Vector.store(candidate, g + 2 * n + j, lanes: lanes)
            Vector.store(out, g + 3 * n + j, lanes: lanes)
            Vector.store(c, cell + j, lanes: lanes)
            Vector.store(activated, cellOutput + j, lanes: lanes)
            storeHidden(out * activated, j, lanes, h, next)
        }
    }

    @inline(__always)
    func gruForward(_ index: Int, _ row: Int, _ p: UnsafePointer<Float>, _ f: ActivationKind,
                    _ h: UnsafeMutablePointer<Float>?, _ next: UnsafeMutablePointer<Float>?) {
        let n = layout.units
        let g = gates + index * layout.width, term = workspace + row * layout.width
        let hp = previous + index * n, candidateTerm = extra + index * n
        Vector.forEach(n) { j, lanes in
            let update = Vector.sigmoid(Vector.load(p + j, lanes: lanes) + Vector.load(term + j, lanes: lanes))
            let reset = Vector.sigmoid(Vector.load(p + n + j, lanes: lanes) + Vector.load(term + n + j, lanes: lanes))
            let recurrent = Vector.load(term + 2 * n + j, lanes: lanes)
            let candidate = Vector.activate(Vector.load(p + 2 * n + j, lanes: lanes).addingProduct(reset, recurrent), f)
            let hPrevious = Vector.load(hp + j, lanes: lanes)
            // z⊙h + (1 − z)⊙n = n + z⊙(h − n)
            let value = candidate.addingProduct(update, hPrevious - candidate)
            Vector.store(update, g + j, lanes: lanes)
            Vector.store(reset, g + n + j, lanes: lanes)
            Vector.store(candidate, g + 2 * n + j, lanes: lanes)
            Vector.store(recurrent, candidateTerm + j, lanes: lanes)
            storeHidden(value, j, lanes, h, next)
        }
    }

    // MARK: - Backward through time

    /// Walks t = time−1 … 0 carrying dh (and an LSTM's dc) in the workspace: at each step the
    /// gates' gradients from dh + dy_t, then dh_{t−1} = (direct part) + dR_t·Uᵀ by one GEMM.
    func backward(rows: Range<Int>, outputGradient dy: UnsafePointer<Float>,
                  projectionGradient dP: UnsafeMutablePointer<Float>, recurrentGradient dR: UnsafeMutablePointer<Float>) {
        let (time, units, width, batch) = (layout.time, layout.units, layout.width, layout.batch)
        let dh = workspace, dc = workspace + batch * units
        for row in rows {
            Kernels.fill(dh + row * units, with: 0, count: units)
            if case .lstm = layout.cell { Kernels.fill(dc + row * units, with: 0, count: units) }
        }
        for t in stride(from: time - 1, through: 0, by: -1) {
            for row in rows {
                let index = row * time + t
                let incoming: UnsafePointer<Float>? = returnSequences ? dy + index * units
                    : (t == time - 1 ? dy + row * units : nil)
                switch layout.cell {
                case .simple(let f): simpleBackward(index, f, dh + row * units, incoming, dP + index * width)
                case .lstm(let f): lstmBackward(index, t, f, dh + row * units, dc + row * units, incoming, dP + index * width)
                case .gru(let f): gruBackward(index, f, dh + row * units, incoming, dP + index * width, dR + index * width)
                }
            }
            guard t > 0 else { break }
            // dh_{t−1} (+)= dR_t·Uᵀ; a GRU's dh already holds its direct part z⊙dh.
            let first = rows.lowerBound * time + t
            Kernels.gemm(transA: false, transB: false, m: rows.count, n: units, k: width,
                         a: dR + first * width, lda: time * width, b: kernel, ldb: units,
                         c: dh + rows.lowerBound * units, ldc: units, accumulate: layout.cell.hasRecurrentBias, bias: nil,
                         activation: .linear, pool: nil)
        }
    }

    /// dh + dy_t at column j (dy only where the step's h is an output).
    @inline(__always)
    func hiddenGradient(_ dh: UnsafeMutablePointer<Float>, _ incoming: UnsafePointer<Float>?, _ j: Int, _ lanes: Int) -> F {
        let carried = Vector.load(dh + j, lanes: lanes)
        guard let incoming else { return carried }
        return carried + Vector.load(incoming + j, lanes: lanes)
    }

    @inline(__always)
    func simpleBackward(_ index: Int, _ f: ActivationKind, _ dh: UnsafeMutablePointer<Float>,
                        _ incoming: UnsafePointer<Float>?, _ dP: UnsafeMutablePointer<Float>) {
        let h = gates + index * layout.width
        Vector.forEach(layout.units) { j, lanes in
            let d = hiddenGradient(dh, incoming, j, lanes) * Vector.derivative(output: Vector.load(h + j, lanes: lanes), f)
            Vector.store(d, dP + j, lanes: lanes)
        }
    }

    @inline(__always)
    func lstmBackward(_ index: Int, _ t: Int, _ f: ActivationKind, _ dh: UnsafeMutablePointer<Float>,
                      _ dc: UnsafeMutablePointer<Float>, _ incoming: UnsafePointer<Float>?,
                      _ dP: UnsafeMutablePointer<Float>) {
        let n = layout.units, plane = layout.batch * layout.time * n
        let g = gates + index * layout.width
        let cell = extra + index * n, cellOutput = extra + plane + index * n
        Vector.forEach(n) { j, lanes in
            let gradient = hiddenGradient(dh, incoming, j, lanes)
            let input = Vector.load(g + j, lanes: lanes), forget = Vector.load(g + n + j, lanes: lanes)
            let candidate = Vector.load(g + 2 * n + j, lanes: lanes), out = Vector.load(g + 3 * n + j, lanes: lanes)
            let activated = Vector.load(cellOutput + j, lanes: lanes)
            let previousCell = t > 0 ? Vector.load(cell - n + j, lanes: lanes) : F()
            let dCell = Vector.load(dc + j, lanes: lanes)
                .addingProduct(gradient * out, Vector.derivative(output: activated, f))
            Vector.store(dCell * candidate * input * (1 - input), dP + j, lanes: lanes)
            Vector.store(dCell * previousCell * forget * (1 - forget), dP + n + j, lanes: lanes)
            Vector.store(dCell * input * Vector.derivative(output: candidate, f), dP + 2 * n + j, lanes: lanes)
            Vector.store(gradient * activated * out * (1 - out), dP + 3 * n + j, lanes: lanes)
            Vector.store(dCell * forget, dc + j, lanes: lanes)
        }
    }

    @inline(__always)
    func gruBackward(_ index: Int, _ f: ActivationKind, _ dh: UnsafeMutablePointer<Float>,
                     _ incoming: UnsafePointer<Float>?, _ dP: UnsafeMutablePointer<Float>,
                     _ dR: UnsafeMutablePointer<Float>) {
        let n = layout.units
        let g = gates + index * layout.width
        let hp = previous + index * n, candidateTerm = extra + index * n
        Vector.forEach(n) { j, lanes in
            let gradient = hiddenGradient(dh, incoming, j, lanes)
            let update = Vector.load(g + j, lanes: lanes), reset = Vector.load(g + n + j, lanes: lanes)
            let candidate = Vector.load(g + 2 * n + j, lanes: lanes)
            let dCandidate = gradient * (1 - update) * Vector.derivative(output: candidate, f)
            let dUpdate = gradient * (Vector.load(hp + j, lanes: lanes) - candidate) * update * (1 - update)
            let dReset = dCandidate * Vector.load(candidateTerm + j, lanes: lanes) * reset * (1 - reset)
            Vector.store(dUpdate, dP + j, lanes: lanes)
            Vector.store(dReset, dP + n + j, lanes: lanes)
            Vector.store(dCandidate, dP + 2 * n + j, lanes: lanes)
            Vector.store(dUpdate, dR + j, lanes: lanes)
            Vector.store(dReset, dR + n + j, lanes: lanes)
            Vector.store(dCandidate * reset, dR + 2 * n + j, lanes: lanes)
            Vector.store(gradient * update, dh + j, lanes: lanes)
        }
    }
}
