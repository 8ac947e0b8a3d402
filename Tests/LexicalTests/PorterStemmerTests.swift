import XCTest
import Lexical

final class PorterStemmerTests: XCTestCase {
    /// Porter's published vocabulary (snowball-data porter/voc.txt → output.txt): every word.
    func testPublishedVocabulary() throws {
        let words = try Fixture.lines("porter/voc.txt")
        let stems = try Fixture.lines("porter/output.txt")
        XCTAssertEqual(words.count, 42_603)
        XCTAssertEqual(words.count, stems.count)
        var mismatches: [String] = []
        for (word, expected) in zip(words, stems) {
            let stem = PorterStemmer.stem(word)
            if scalars(stem) != scalars(expected) { mismatches.append("\(word): \(stem), expected \(expected)") }
        }
        XCTAssertEqual(mismatches.count, 0, "first mismatches: \(mismatches.prefix(20))")
    }

    /// Beyond the vocabulary (digits, non-ASCII letters, combining marks, short and y-words), against PyStemmer.
    func testPyStemmerOnExtraWords() throws {
        let rows = try Fixture.lines("porter/extra.tsv")
        XCTAssertGreaterThan(rows.count, 3_000)
        var mismatches: [String] = []
        for row in rows {
            let fields = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(fields.count, 2, "bad row \(escaped(row))")
            guard fields.count == 2 else { continue }
            let stem = PorterStemmer.stem(fields[0])
            if scalars(stem) != scalars(fields[1]) {
                mismatches.append("\(escaped(fields[0])): \(escaped(stem)), expected \(escaped(fields[1]))")
            }
        }
        XCTAssertEqual(mismatches.count, 0, "first mismatches: \(mismatches.prefix(20))")
        // The file must have kept its decomposed spellings, or the combining-mark cases test nothing.
        XCTAssertTrue(rows.contains { $0.unicodeScalars.contains("\u{0301}") })
    }

    func testExamples() {
        let cases: [(String, String)] = [
            ("caresses", "caress"), ("ponies", "poni"), ("cats", "cat"), ("feed", "feed"), ("agreed", "agre"),
            ("plastered", "plaster"), ("motoring", "motor"), ("hopping", "hop"), ("filing", "file"),
            ("happy", "happi"), ("relational", "relat"), ("generalizations", "gener"), ("controll", "control"),
            ("sky", "sky"), ("syzygy", "syzygi"), ("yelling", "yell"), ("say", "sai"),
            // Snowball has no minimum length, unlike Porter's later C code.
            ("as", "a"), ("s", ""), ("a", "a"), ("", ""),
            // Only a e i o u (and y) are vowels; digits and other letters are consonants.
            ("covid19s", "covid19"), ("h2o", "h2o"), ("straße", "straße"), ("naïveties", "naïveti"),
        ]
        for (word, stem) in cases {
            XCTAssertEqual(scalars(PorterStemmer.stem(word)), scalars(stem), word)
        }
    }
}
