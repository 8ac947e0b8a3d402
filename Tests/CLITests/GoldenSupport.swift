import Foundation
import XCTest

/// Comparison of a vecdb run's outputs with outputs recorded from an earlier binary (Tests/Golden/outputs/record.sh,
/// Tests/Golden/old-db/make.sh). What is normalised, and why, is written in record.sh's header; in short: timings,
/// rates, memory peaks, bytes on disk, LMDB snapshot ids, the BLAS kernel description and machine paths are
/// compared by type only; numbers within `Golden.tolerance`; rankings in order except among near-ties.
enum Golden {
    /// Tests/Golden, found from this source file: outside every target folder, so SwiftPM neither bundles nor warns
    /// about its hundred-odd recorded files.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Golden").standardizedFileURL
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardizedFileURL

    /// Absolute tolerance on every number (scores, metrics, similarities, vector components): 100x the largest drift
    /// measured between OpenBLAS kernels (1.1e-6, see record.sh).
    static let tolerance = 1e-4
    /// Results whose recorded scores differ by at most this may come in either order.
    static let tieTolerance = 1e-5
    /// Keys whose values vary per run or machine: only their type is compared.
    static let volatileKeys: Set<String> = ["seconds", "docs_per_second", "peak_rss_mb", "bytes_used", "bytes_file", "snapshot", "cache"]
    /// Keys that features added after the recording put in an output (`info`'s metadata fields and kernel set):
    /// allowed beside the recorded keys, by name, so any other new key still fails.
    static let addedKeys: Set<String> = ["metadata_fields", "kernels", "precision"]
    /// Keys whose object describes the machine: only the set of its keys is compared.
    static let machineKeys: Set<String> = ["blas"]
    /// Text lines (of `info`) that describe the machine or the disk, compared by their first word only.
    static let maskedLinePrefixes = ["disk ", "blas ", "linear "]

    /// The CLI under test: `$VECDB_GOLDEN_BINARY` (for example the recorded release, to prove the test passes on it),
    /// else the vecdb SwiftPM built. VECDB_DB is removed so that nothing reads a default database.
    static func cli() -> CLI {
        var cli = CLI()
        if let binary = ProcessInfo.processInfo.environment["VECDB_GOLDEN_BINARY"], !binary.isEmpty {
            cli.executable = URL(fileURLWithPath: binary)
        }
        cli.environment["VECDB_DB"] = nil
        return cli
    }

    /// One step of a steps.tsv file: a name and the arguments, with {TMP} and {FILES} still in them.
    struct Step {
        var name: String
        var arguments: [String]
    }

    static func steps(_ file: URL) throws -> [Step] {
        try String(contentsOf: file, encoding: .utf8).split(separator: "\n").compactMap { line in
            if line.hasPrefix("#") || line.isEmpty { return nil }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return Step(name: fields[0], arguments: Array(fields.dropFirst()))
        }
    }

    /// Runs every step with `cli` in `scratch` and compares with `expected/NAME.*`; returns the mismatches, each
    /// naming its step.
    static func runAndCompare(_ steps: [Step], cli: CLI, scratch: URL, expected: URL) throws -> [String] {
        var problems: [String] = []
        var seconds: [(String, Double)] = []
        defer {
            let slowest = seconds.sorted { $0.1 > $1.1 }.prefix(5).map { "\($0.0) \(String(format: "%.1f", $0.1)) s" }
            print("golden: \(steps.count) steps, \(String(format: "%.1f", seconds.map(\.1).reduce(0, +))) s; slowest: \(slowest.joined(separator: ", "))")
        }
        for step in steps {
            let started = Date()
            defer { seconds.append((step.name, Date().timeIntervalSince(started))) }
            let files = scratch.appendingPathComponent("files/\(step.name)")
            let arguments = step.arguments.map {
                $0.replacingOccurrences(of: "{FILES}", with: files.path).replacingOccurrences(of: "{TMP}", with: scratch.path)
            }
            let result = try cli.run(arguments)
            let recordedStatus = try String(contentsOf: expected.appendingPathComponent("\(step.name).status"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if recordedStatus != String(result.status) {
                problems.append("\(step.name): exit status \(result.status), recorded \(recordedStatus); stderr: \(result.stderr)")
                continue
            }
            let stdout = result.stdout.replacingOccurrences(of: scratch.path, with: "{TMP}")
            let recorded = try String(contentsOf: expected.appendingPathComponent("\(step.name).stdout"), encoding: .utf8)
            problems += compareOutput(recorded, stdout).map { "\(step.name): \($0)" }
            // Files the recorded run wrote (eval's TREC runs), and no others.
            let prefix = step.name + "."
            let recordedFiles = try FileManager.default.contentsOfDirectory(atPath: expected.path)
                .filter { $0.hasPrefix(prefix) && $0 != prefix + "status" && $0 != prefix + "stdout" }
                .map { String($0.dropFirst(prefix.count)) }.sorted()
            let written = ((try? FileManager.default.contentsOfDirectory(atPath: files.path)) ?? []).sorted()
            if written != recordedFiles {
                problems.append("\(step.name): wrote files \(written), recorded \(recordedFiles)")
                continue
            }
            for file in written {
                let actual = try String(contentsOf: files.appendingPathComponent(file), encoding: .utf8)
                    .replacingOccurrences(of: scratch.path, with: "{TMP}")
                let wanted = try String(contentsOf: expected.appendingPathComponent(prefix + file), encoding: .utf8)
                problems += compareTRECRun(wanted, actual).map { "\(step.name) \(file): \($0)" }
            }
        }
        return problems
    }

    // MARK: - Outputs

    /// JSON lines when the recorded output is JSON lines, else text.
    static func compareOutput(_ expected: String, _ actual: String) -> [String] {
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let expectedJSON = expectedLines.filter { !$0.isEmpty }.map(JSONValue.parse)
        if !expectedJSON.isEmpty, expectedJSON.allSatisfy({ $0 != nil }) {
            let actualJSON = actualLines.filter { !$0.isEmpty }.map(JSONValue.parse)
            guard actualJSON.count == expectedJSON.count else {
                return ["\(actualJSON.count) JSON lines, recorded \(expectedJSON.count): \(actual.prefix(500))"]
            }
            var problems: [String] = []
            for (index, (wanted, got)) in zip(expectedJSON, actualJSON).enumerated() {
                guard let got else { problems.append("line \(index + 1) is not JSON: \(actualLines[index].prefix(300))"); continue }
                problems += compare(wanted!, got, path: "line \(index + 1)")
            }
            return problems
        }
        guard expectedLines.count == actualLines.count else {
            return ["\(actualLines.count) lines, recorded \(expectedLines.count):\n\(actual)\n--- recorded:\n\(expected)"]
        }
        var problems: [String] = []
        for (index, (wanted, got)) in zip(expectedLines, actualLines).enumerated() {
            if let mismatch = compareTextLine(wanted, got) { problems.append("line \(index + 1): \(mismatch)") }
        }
        return problems
    }

    /// Equal apart from numbers, which may differ by the tolerance (at least one unit of their last printed decimal).
    static func compareTextLine(_ expected: String, _ actual: String) -> String? {
        if let prefix = maskedLinePrefixes.first(where: { expected.hasPrefix($0) }) {
            return actual.hasPrefix(prefix) ? nil : "expected a line starting '\(prefix)', got '\(actual)'"
        }
        let wanted = tokens(expected), got = tokens(actual)
        let differs = "'\(actual)', recorded '\(expected)'"
        guard wanted.count == got.count else { return differs }
        for (a, b) in zip(wanted, got) {
            switch (a, b) {
            case let (.text(x), .text(y)): if x != y { return differs }
            case let (.number(x, decimals), .number(y, _)):
                if decimals == 0 {
                    if x != y { return differs }
                } else if abs(x - y) > max(tolerance, pow(10, -Double(decimals))) * (1 + 1e-9) {
                    return differs + " (\(y) vs \(x))"
                }
            default: return differs
            }
        }
        return nil
    }

    enum Token: Equatable {
        case text(String)
        /// A number and its count of decimals after the point.
        case number(Double, Int)
    }

    static let numberPattern = try! NSRegularExpression(pattern: "-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?")

    static func tokens(_ line: String) -> [Token] {
        let ns = line as NSString
        var out: [Token] = []
        var position = 0
        for match in numberPattern.matches(in: line, range: NSRange(location: 0, length: ns.length)) {
            if match.range.location > position {
                out.append(.text(ns.substring(with: NSRange(location: position, length: match.range.location - position))))
            }
            let number = ns.substring(with: match.range)
            let fraction = match.range(at: 1)
            let decimals = fraction.location == NSNotFound ? 0 : fraction.length - 1
            // Integers are compared as text (ids, counts, ranks, fragments of hashes), exactly.
            if decimals == 0 && match.range(at: 2).location == NSNotFound {
                out.append(.text(number))
            } else {
                out.append(.number(Double(number) ?? .nan, max(decimals, 1)))
            }
            position = match.range.location + match.range.length
        }
        if position < ns.length { out.append(.text(ns.substring(from: position))) }
        // Adjacent text tokens (an integer next to words) merge, so integers and words compare together.
        var merged: [Token] = []
        for token in out {
            if case let .text(t) = token, case let .text(previous)? = merged.last {
                merged[merged.count - 1] = .text(previous + t)
            } else {
                merged.append(token)
            }
        }
        return merged
    }

    // MARK: - JSON

    static func compare(_ expected: JSONValue, _ actual: JSONValue, path: String) -> [String] {
        switch (expected, actual) {
        case let (.object(wanted), .object(got)):
            guard Set(wanted.keys) == Set(got.keys).subtracting(addedKeys.subtracting(wanted.keys)) else {
                return ["\(path): keys \(got.keys.sorted()), recorded \(wanted.keys.sorted())"]
            }
            var problems: [String] = []
            for key in wanted.keys.sorted() {
                let a = wanted[key]!, b = got[key]!, here = "\(path).\(key)"
                if volatileKeys.contains(key) {
                    if a.kind != b.kind { problems.append("\(here): \(b.kind), recorded \(a.kind)") }
                    if key == "snapshot", case let .number(n) = b, n < 1 || n != n.rounded() {
                        problems.append("\(here): \(n) is not a transaction id")
                    }
                } else if machineKeys.contains(key) {
                    if case let .object(x) = a, case let .object(y) = b, Set(x.keys) == Set(y.keys) { continue }
                    problems.append("\(here): \(b.description.prefix(300)), recorded \(a.description.prefix(300)) (keys differ)")
                } else {
                    problems += compare(a, b, path: here)
                }
            }
            return problems
        case let (.array(wanted), .array(got)):
            guard wanted.count == got.count else {
                return ["\(path): \(got.count) elements, recorded \(wanted.count): \(actual.description.prefix(400))"]
            }
            var reordered = got
            let ranking = wanted.compactMap(\.rankingEntry), actualRanking = got.compactMap(\.rankingEntry)
            if !wanted.isEmpty, ranking.count == wanted.count, actualRanking.count == got.count {
                switch matchRanking(ranking, actualRanking) {
                case let .failure(problem): return ["\(path): \(problem)"]
                case let .success(order): reordered = order.map { got[$0] }
                }
            }
            return zip(wanted, reordered).enumerated().flatMap { index, pair in compare(pair.0, pair.1, path: "\(path)[\(index)]") }
        case let (.number(a), .number(b)):
            return abs(a - b) <= tolerance ? [] : ["\(path): \(b), recorded \(a) (tolerance \(tolerance))"]
        default:
            return expected == actual ? [] : ["\(path): \(actual.description.prefix(300)), recorded \(expected.description.prefix(300))"]
        }
    }

    /// For each recorded position, the position in `actual` holding the same id: the same order, except that ids
    /// within a group of recorded near-ties may come in any order.
    static func matchRanking(_ expected: [(id: String, score: Double)], _ actual: [(id: String, score: Double)])
        -> Result<[Int], RankingMismatch> {
        var order: [Int] = []
        var start = 0
        while start < expected.count {
            var end = start + 1
            while end < expected.count, abs(expected[end - 1].score - expected[end].score) <= tieTolerance { end += 1 }
            let group = expected[start..<end].map(\.id)
            let candidates = actual[start..<min(end, actual.count)].map(\.id)
            guard group.sorted() == candidates.sorted() else {
                return .failure(RankingMismatch(description:
                    "ranking differs at position \(start + 1): ids \(actual.map(\.id).prefix(end + 2)), recorded \(expected.map(\.id).prefix(end + 2))"))
            }
            for id in group { order.append(start + candidates.firstIndex(of: id)!) }
            start = end
        }
        return .success(order)
    }

    struct RankingMismatch: Error, CustomStringConvertible { var description: String }

    /// TREC run files (`qid Q0 doc rank score tag`): per query the same documents in the same order, near-ties aside,
    /// scores within the tolerance.
    static func compareTRECRun(_ expected: String, _ actual: String) -> [String] {
        func parse(_ text: String) -> [String: [(id: String, score: Double, rest: String)]] {
            var queries: [String: [(id: String, score: Double, rest: String)]] = [:]
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ").map(String.init)
                guard fields.count == 6 else { queries["malformed", default: []].append((String(line), .nan, "")); continue }
                queries[fields[0], default: []].append((fields[2], Double(fields[4]) ?? .nan, "\(fields[1]) \(fields[5])"))
                let count = queries[fields[0]]!.count
                if fields[3] != String(count) { queries[fields[0]]![count - 1].rest += " rank \(fields[3]) at line \(count)" }
            }
            return queries
        }
        let wanted = parse(expected), got = parse(actual)
        guard Set(wanted.keys) == Set(got.keys) else { return ["queries \(got.keys.sorted()), recorded \(wanted.keys.sorted())"] }
        var problems: [String] = []
        for query in wanted.keys.sorted() {
            let a = wanted[query]!, b = got[query]!
            guard a.count == b.count else { problems.append("query \(query): \(b.count) documents, recorded \(a.count)"); continue }
            switch matchRanking(a.map { ($0.id, $0.score) }, b.map { ($0.id, $0.score) }) {
            case let .failure(problem): problems.append("query \(query): \(problem)")
            case let .success(order):
                for (position, index) in order.enumerated() {
                    if abs(a[position].score - b[index].score) > tolerance {
                        problems.append("query \(query) document \(a[position].id): score \(b[index].score), recorded \(a[position].score)")
                    }
                    // "Q0" and the tag; a rank column that is not the line's position within its query shows here too.
                    if a[position].rest != b[index].rest {
                        problems.append("query \(query) document \(a[position].id): '\(b[index].rest)', recorded '\(a[position].rest)'")
                    }
                }
            }
        }
        return problems
    }

    /// `sha256sum` of `files` in `folder`, as record.sh writes it.
    static func sha256sums(_ files: [String], in folder: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum"] + files
        process.currentDirectoryURL = folder
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func copy(_ source: URL, to destination: URL) throws {
        try FileManager.default.copyItem(at: source, to: destination)
    }
}

/// A JSON value decoded strictly (a number is never a Bool), so outputs compare by kind and value.
enum JSONValue: Decodable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    static func parse(_ line: String) -> JSONValue? {
        guard line.hasPrefix("{") || line.hasPrefix("[") else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8))
    }

    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// A search result (`{"id", "score", …}`): its id and score.
    var rankingEntry: (id: String, score: Double)? {
        guard case let .object(fields) = self, case let .number(id)? = fields["id"], case let .number(score)? = fields["score"]
        else { return nil }
        return (id == id.rounded() && abs(id) < 1e15 ? String(Int(id)) : String(id), score)
    }

    var description: String {
        switch self {
        case .null: "null"
        case let .bool(value): "\(value)"
        case let .number(value): "\(value)"
        case let .string(value): "\"\(value)\""
        case let .array(values): "[" + values.map(\.description).joined(separator: ",") + "]"
        case let .object(fields): "{" + fields.keys.sorted().map { "\"\($0)\":\(fields[$0]!.description)" }.joined(separator: ",") + "}"
        }
    }
}
