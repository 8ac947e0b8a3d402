import Foundation
import XCTest

/// Reading the committed fixtures, and comparing terms the way Python does.
enum Fixture {
    /// The bytes of `Fixtures/<path>`.
    static func data(_ path: String) throws -> Data {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/\(path)", withExtension: nil),
                                "missing fixture \(path)")
        return try Data(contentsOf: url)
    }

    /// The lines of `Fixtures/<path>`, split on LF only and decoded without any normalisation, so that decomposed
    /// accents reach the code under test as written.
    static func lines(_ path: String) throws -> [String] {
        var lines = try data(path).split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// One row of `analyzer/analyzer.jsonl`.
    struct AnalyzerRow: Decodable {
        let source: String
        let text: String
        let terms: [String]
    }

    static func analyzerRows() throws -> [AnalyzerRow] {
        let decoder = JSONDecoder()
        return try lines("analyzer/analyzer.jsonl").map { try decoder.decode(AnalyzerRow.self, from: Data($0.utf8)) }
    }
}

/// The scalar values of `text`. Tests compare these rather than Strings, because String's `==` is canonical
/// equivalence and would call `café` (NFC) and `café` (NFD) equal where Python and bm25s do not.
func scalars(_ text: String) -> [UInt32] { text.unicodeScalars.map(\.value) }

func scalars(_ terms: [String]) -> [[UInt32]] { terms.map(scalars) }

/// A readable, unambiguous spelling of `text` for failure messages: non-ASCII scalars as \u{…}.
func escaped(_ text: String) -> String {
    text.unicodeScalars.map { $0.isASCII ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined()
}

func escaped(_ terms: [String]) -> String { "[" + terms.map { "\"\(escaped($0))\"" }.joined(separator: ", ") + "]" }
