// Naive recurrent kernels: the oracle for Recurrent.swift, one sequence and one step at a time,
// scalar formulas, dot products in Double. Same contracts and state layout as the fast kernels.
// Stage: kernels.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Reference {
    /// See `Kernels.recurrentForward`.
    public static func recurrentForward(_ layout: RecurrentLayout, projection p: UnsafePointer<Float>,
                                        recurrentKernel u: UnsafePointer<Float>, recurrentBias: UnsafePointer<Float>?,
                                        output y: UnsafeMutablePointer<Float>, returnSequences: Bool,
                                        state: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) {
        let (time, n, width) = (layout.time, layout.units, layout.width)
        let gates = state + layout.gatesOffset, previous = state + layout.previousOffset
        let extra = state + layout.extraOffset, plane = layout.batch * time * n
        func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
        let f = layout.cell.activation
        for b in 0..<layout.batch {
            for t in 0..<time {
                let index = b * time + t
                let hp = previous + index * n
                if t == 0 { for k in 0..<n { hp[k] = 0 } }
                // r[column] = h_{t−1}·U[:, column] (+ b′[column])
                func recurrent(_ column: Int) -> Float {
                    var sum = Double(recurrentBias?[column] ?? 0)
                    for k in 0..<n { sum += Double(hp[k]) * Double(u[k * width + column]) }
                    return Float(sum)
                }
                let x = p + index * width, g = gates + index * width
                for j in 0..<n {
                    let h: Float
                    switch layout.cell {
                    case .simple:
                        h = f.apply(x[j] + recurrent(j))
                        g[j] = h
                    case .lstm:
                        let i = sigmoid(x[j] + recurrent(j)), fg = sigmoid(x[n + j] + recurrent(n + j))
                        let candidate = f.apply(x[2 * n + j] + recurrent(2 * n + j)), o = sigmoid(x[3 * n + j] + recurrent(3 * n + j))
                        let cPrevious = t > 0 ? extra[index * n - n + j] : 0
                        let c = fg * cPrevious + i * candidate
                        (g[j], g[n + j], g[2 * n + j], g[3 * n + j]) = (i, fg, candidate, o)
                        extra[index * n + j] = c
                        extra[plane + index * n + j] = f.apply(c)
                        h = o * f.apply(c)
                    case .gru:
                        let z = sigmoid(x[j] + recurrent(j)), r = sigmoid(x[n + j] + recurrent(n + j))
                        let term = recurrent(2 * n + j)
                        let candidate = f.apply(x[2 * n + j] + r * term)
                        (g[j], g[n + j], g[2 * n + j]) = (z, r, candidate)
                        extra[index * n + j] = term
                        h = z * hp[j] + (1 - z) * candidate
                    }
                    // h_t is read as h_{t−1} by step t + 1 only after every unit of step t is done.
                    workspace[j] = h
                }
                for j in 0..<n {
                    if t + 1 < time { previous[(index + 1) * n + j] = workspace[j] }
                    if returnSequences { y[index * n + j] = workspace[j] }
                    else if t == time - 1 { y[b * n + j] = workspace[j] }
                }
            }
        }
    }

    /// See `Kernels.recurrentBackward`.
    public static func recurrentBackward(_ layout: RecurrentLayout, state: UnsafePointer<Float>,
                                         recurrentKernel u: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                                         returnSequences: Bool, projectionGradient dP: UnsafeMutablePointer<Float>,
                                         recurrentGradient: UnsafeMutablePointer<Float>?,
                                         workspace: UnsafeMutablePointer<Float>) {
        let (time, n, width) = (layout.time, layout.units, layout.width)
        let gates = state + layout.gatesOffset, previous = state + layout.previousOffset
        let extra = state + layout.extraOffset, plane = layout.batch * time * n
        let dR = recurrentGradient ?? dP
        let f = layout.cell.activation
        let dh = workspace, dc = workspace + n
        for b in 0..<layout.batch {
            for k in 0..<n { dh[k] = 0; dc[k] = 0 }
            for t in stride(from: time - 1, through: 0, by: -1) {
                let index = b * time + t
                let g = gates + index * width, d = dP + index * width, r = dR + index * width
                for j in 0..<n {
                    var gradient = dh[j]
                    if returnSequences { gradient += dy[index * n + j] } else if t == time - 1 { gradient += dy[b * n + j] }
                    switch layout.cell {
                    case .simple:
                        d[j] = gradient * f.derivative(output: g[j])
                        dh[j] = 0
                    case .lstm:
                        let (i, fg, candidate, o) = (g[j], g[n + j], g[2 * n + j], g[3 * n + j])
                        let a = extra[plane + index * n + j]
                        let cPrevious = t > 0 ? extra[index * n - n + j] : 0
                        let dCell = dc[j] + gradient * o * f.derivative(output: a)
                        d[j] = dCell * candidate * i * (1 - i)
                        d[n + j] = dCell * cPrevious * fg * (1 - fg)
                        d[2 * n + j] = dCell * i * f.derivative(output: candidate)
                        d[3 * n + j] = gradient * a * o * (1 - o)
                        dc[j] = dCell * fg
                        dh[j] = 0
                    case .gru:
                        let (z, rg, candidate) = (g[j], g[n + j], g[2 * n + j])
                        let dCandidate = gradient * (1 - z) * f.derivative(output: candidate)
                        let dz = gradient * (previous[index * n + j] - candidate) * z * (1 - z)
                        let dr = dCandidate * extra[index * n + j] * rg * (1 - rg)
                        (d[j], d[n + j], d[2 * n + j]) = (dz, dr, dCandidate)
                        (r[j], r[n + j], r[2 * n + j]) = (dz, dr, dCandidate * rg)
                        dh[j] = gradient * z
                    }
                }
                // dh_{t−1} += dR_t·Uᵀ
                for k in 0..<n {
                    var sum = Double(dh[k])
                    for column in 0..<width { sum += Double(r[column]) * Double(u[k * width + column]) }
                    dh[k] = Float(sum)
                }
            }
        }
    }

    /// See `Kernels.recurrentWeightGradient`: dU[k, column] = Σ over (b, t) of h_{t−1}[k]·dR[column].
    public static func recurrentWeightGradient(_ layout: RecurrentLayout, state: UnsafePointer<Float>,
                                               recurrentGradient dR: UnsafePointer<Float>,
                                               result: UnsafeMutablePointer<Float>) {
        let previous = state + layout.previousOffset
        let (n, width) = (layout.units, layout.width)
        for k in 0..<n {
            for column in 0..<width {
                var sum: Double = 0
                for row in 0..<(layout.batch * layout.time) {
                    sum += Double(previous[row * n + k]) * Double(dR[row * width + column])
                }
                result[k * width + column] = Float(sum)
            }
        }
    }

    /// See `Kernels.embedding`.
    public static func embedding(ids: UnsafePointer<Float>, count: Int, table: UnsafePointer<Float>,
                                 vocabulary: Int, dimension: Int, output: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            let id = Kernels.tokenIndex(ids[i], vocabulary: vocabulary)
            for j in 0..<dimension { output[i * dimension + j] = id.map { table[$0 * dimension + j] } ?? 0 }
        }
    }

    /// See `Kernels.embeddingGradient`.
    public static func embeddingGradient(ids: UnsafePointer<Float>, count: Int, outputGradient dy: UnsafePointer<Float>,
                                         vocabulary: Int, dimension: Int, result: UnsafeMutablePointer<Float>) {
        for i in 0..<(vocabulary * dimension) { result[i] = 0 }
        for i in 0..<count {
            guard let id = Kernels.tokenIndex(ids[i], vocabulary: vocabulary) else { continue }
            for j in 0..<dimension { result[id * dimension + j] += dy[i * dimension + j] }
        }
    }
}
