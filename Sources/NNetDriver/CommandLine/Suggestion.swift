// "Did you mean …?" for mistyped commands, options and values. Stage: driver.
// Unlike NNetSyntax's `closestMatch` (Levenshtein), a swap of two neighbouring letters counts as
// one edit here, since `rnu` for `run` is the commonest typo on a command line.

/// The candidate nearest to `word`, if it is within a typo's reach: one edit for words up to
/// four characters, two up to seven, three beyond. Leading dashes do not count towards the
/// length. Ties go to the earlier candidate.
func suggestion(for word: String, among candidates: [String]) -> String? {
    let length = word.drop { $0 == "-" }.count
    let limit = max(1, min(3, (length + 2) / 3))
    var best: (candidate: String, distance: Int)?
    for candidate in candidates {
        let distance = transpositionDistance(word.lowercased(), candidate.lowercased())
        if distance <= limit, distance < best?.distance ?? .max { best = (candidate, distance) }
    }
    return best?.candidate
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// adjacent characters each cost one.
func transpositionDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    // Three rows: two back (for swaps), previous, current.
    var older = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                current[j] = min(current[j], older[j - 2] + 1)
            }
        }
        (older, previous, current) = (previous, current, older)
    }
    return previous[b.count]
}
