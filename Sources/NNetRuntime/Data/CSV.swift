// CSV files of numbers as datasets: feature columns and target columns chosen by name or index.
// Stage: runtime (data). Errors read `file.csv:LINE: column N ('name'): ...`, with LINE counted from 1.

/// A CSV column chosen by header name or by position; `"label"` and `-1` work as literals.
public enum CSVColumn: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    /// A column named in the header row.
    case name(String)
    /// A column by position from 0; negative counts from the end (-1 is the last column).
    case index(Int)

    public init(stringLiteral value: String) { self = .name(value) }
    public init(integerLiteral value: Int) { self = .index(value) }
}

public enum CSVLoader {
    /// Loads a CSV file of numbers: featureShape [feature columns], targetShape [target columns].
    ///
    /// Fields may be quoted ("1.5", with "" for a quote inside); blank lines are skipped; CRLF and LF
    /// both end rows. With `classLabels`, the single target column holds classes: whole numbers >= 0
    /// are used as class indices, otherwise each distinct text becomes an index in sorted order; the
    /// result has targetShape [] and classCount set.
    /// Throws DataError (path `file:line`) for an empty file, a non-numeric or empty value, a row with
    /// the wrong number of fields, an unterminated quote, or an unknown target column (with the closest name).
    public static func load(path: String, target: [CSVColumn] = [.index(-1)], header: Bool = true, delimiter: Character = ",",
                            classLabels: Bool = false) throws -> Dataset {
        guard let separator = delimiter.asciiValue, delimiter != "\"", delimiter != "\n", delimiter != "\r" else {
            throw DataError(path: path, "the delimiter must be one ASCII character other than a quote or newline, "
                            + "got '\(delimiter)'")
        }
        var scanner = CSVScanner(bytes: try Files.readAll(path), path: path, delimiter: separator)
        guard let first = try scanner.nextRecord() else { throw DataError(path: path, "the file is empty") }
        let columnCount = first.fields.count
        let names = header ? first.fields.map { $0.trimmingSpaces } : nil
        let targetColumns = try resolve(target, names: names, columnCount: columnCount, path: path, line: first.line)
        guard targetColumns.count < columnCount else {
            throw DataError(path: path, "every one of the \(columnCount) columns is a target; no feature columns remain")
        }
        guard !classLabels || targetColumns.count == 1 else {
            throw DataError(path: path, "class labels need exactly one target column, got \(targetColumns.count)")
        }
        let isTarget = (0..<columnCount).map { targetColumns.contains($0) }
        func columnName(_ column: Int) -> String {
            "column \(column + 1)" + (names.map { " ('\($0[column])')" } ?? "")
        }
        var features: [Float] = [], targets: [Float] = [], labelTexts: [String] = []
        var record: (line: Int, fields: [String])? = header ? try scanner.nextRecord() : first
        guard record != nil else { throw DataError(path: path, "no data rows after the header") }
        while let (line, fields) = record {
            guard fields.count == columnCount else {
                let reference = header ? "the header" : "the first row"
                throw DataError(path: "\(path):\(line)", "expected \(columnCount) fields as in \(reference) "
                                + "(line \(first.line)), found \(fields.count)")
            }
            for (column, field) in fields.enumerated() {
                if classLabels && isTarget[column] {
                    labelTexts.append(field.trimmingSpaces)
                    continue
                }
                let value = try number(field, at: "\(path):\(line)", column: columnName(column))
                if isTarget[column] { targets.append(value) } else { features.append(value) }
            }
            record = try scanner.nextRecord()
        }
        let name = Files.baseName(path).split(separator: ".").first.map(String.init) ?? path
        let featureCount = columnCount - targetColumns.count
        guard classLabels else {
            return Dataset(name: name, featureShape: [featureCount], features: features, targetShape: [targetColumns.count],
                           targets: reorder(targets, rows: features.count / featureCount, columns: targetColumns))
        }
        let (labels, classCount) = classIndices(labelTexts)
        return Dataset(name: name, featureShape: [featureCount], features: features, targetShape: [],
                       targets: labels, classCount: classCount)
    }

    // MARK: - Columns

    /// Target column indices in the order the caller listed them.
    private static func resolve(_ target: [CSVColumn], names: [String]?, columnCount: Int, path: String,
                                line: Int) throws -> [Int] {
        guard !target.isEmpty else { throw DataError(path: path, "no target columns given") }
        let columns = try target.map { column -> Int in
            switch column {
            case .index(let index):
                let position = index < 0 ? columnCount + index : index
                guard position >= 0 && position < columnCount else {
                    throw DataError(path: path, "target column index \(index) is out of range for \(columnCount) "
                                    + "columns (use 0...\(columnCount - 1), or -\(columnCount)...-1 from the end)")
                }
                return position
            case .name(let name):
                guard let names else {
                    throw DataError(path: path, "target column '\(name)' is chosen by name, which needs a header row")
                }
                if let position = names.firstIndex(of: name) { return position }
                let suggestion = closest(to: name, in: names).map { "; did you mean '\($0)'?" } ?? ""
                throw DataError(path: "\(path):\(line)", "unknown target column '\(name)'\(suggestion) "
                                + "(columns: \(names.joined(separator: ", ")))")
            }
        }
        guard Set(columns).count == columns.count else {
            throw DataError(path: path, "a target column is listed twice: columns \(columns.map { $0 + 1 }) "
                            + "(counting from 1)")
        }
        return columns
    }

    /// Targets were appended in file column order; put each row's targets in the requested order.
    private static func reorder(_ targets: [Float], rows: Int, columns: [Int]) -> [Float] {
        let sorted = columns.sorted()
        guard sorted != columns else { return targets }
        let position = columns.map { sorted.firstIndex(of: $0)! }
        var result = [Float](repeating: 0, count: targets.count)
        for row in 0..<rows {
            for (slot, source) in position.enumerated() {
                result[row * columns.count + slot] = targets[row * columns.count + source]
            }
        }
        return result
    }

    private static func classIndices(_ texts: [String]) -> ([Float], Int) {
        let numbers = texts.map { Int($0) }
        if numbers.allSatisfy({ ($0 ?? -1) >= 0 && $0! < 1 << 24 }) {
            let labels = numbers.map { Float($0!) }
            return (labels, max(2, Int(labels.max() ?? 0) + 1))
        }
        let classes = Array(Set(texts)).sorted()
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, Float($0)) })
        return (texts.map { index[$0]! }, max(2, classes.count))
    }

    // MARK: - Values

    private static func number(_ field: String, at location: String, column: String) throws -> Float {
        let text = field.trimmingSpaces
        guard !text.isEmpty else { throw DataError(path: location, "\(column): empty value (missing data?)") }
        guard let value = Float(text) else { throw DataError(path: location, "\(column): '\(text)' is not a number") }
        guard value.isFinite else { throw DataError(path: location, "\(column): '\(text)' is not a finite number") }
        return value
    }

    /// The name nearest to `name` by edit distance (ignoring case), if it is plausibly a typo.
    static func closest(to name: String, in names: [String]) -> String? {
        let scored = names.map { ($0, editDistance(Array(name.lowercased()), Array($0.lowercased()))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= max(2, name.count / 3) ? best.0 : nil
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            previous = current
        }
        return previous[b.count]
    }
}

// MARK: - Scanner

/// Splits CSV bytes into records of fields (RFC 4180 quoting), tracking the line each record starts on.
struct CSVScanner {
    private let bytes: [UInt8]
    private let path: String
    private let delimiter: UInt8
    private var index = 0
    private var line = 1

    init(bytes: [UInt8], path: String, delimiter: UInt8) {
        self.bytes = bytes
        self.path = path
        self.delimiter = delimiter
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }  // UTF-8 byte order mark
    }

    /// The next non-blank record, or nil at the end of the input.
    mutating func nextRecord() throws -> (line: Int, fields: [String])? {
        while index < bytes.count {
            let start = line
            var fields: [String] = []
            var sawQuote = false
            while true {
                let (field, quoted, endOfRecord) = try nextField()
                fields.append(field)
                sawQuote = sawQuote || quoted
                if endOfRecord { break }
            }
            if fields.count == 1 && !sawQuote && fields[0].trimmingSpaces.isEmpty { continue }
            return (start, fields)
        }
        return nil
    }

    private mutating func nextField() throws -> (String, quoted: Bool, endOfRecord: Bool) {
        var field: [UInt8] = []
        var quoted = false
        if index < bytes.count && bytes[index] == UInt8(ascii: "\"") {
            quoted = true
            let quoteLine = line
            index += 1
            while true {
                guard index < bytes.count else {
                    throw DataError(path: "\(path):\(quoteLine)", "unterminated quoted field (no closing '\"')")
                }
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\"") {
                    if index < bytes.count && bytes[index] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                        continue
                    }
                    break
                }
                if byte == UInt8(ascii: "\n") { line += 1 }
                field.append(byte)
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == delimiter { return (String(decoding: field, as: UTF8.self), quoted, false) }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if byte == UInt8(ascii: "\r") && index < bytes.count && bytes[index] == UInt8(ascii: "\n") { index += 1 }
                line += 1
                return (String(decoding: field, as: UTF8.self), quoted, true)
            }
            if quoted && byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") {
                throw DataError(path: "\(path):\(line)", "unexpected '\(Character(Unicode.Scalar(byte)))' after a closing quote")
            }
            if !quoted { field.append(byte) }
        }
        return (String(decoding: field, as: UTF8.self), quoted, true)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else { return "" }
        return String(self[first...last])
    }
}
