import XCTest
import Lexical

final class AnalyzerTests: XCTestCase {
    /// bm25s's terms for 150 SciFact abstracts and the hand-written edge cases (see Fixtures/analyzer/README.md).
    func testMatchesBm25s() throws {
        let rows = try Fixture.analyzerRows()
        XCTAssertEqual(rows.count, 193)
        XCTAssertEqual(rows.filter { $0.source.hasPrefix("scifact:") }.count, 150)
        // The decoder must have kept the decomposed spellings, or those cases test nothing.
        XCTAssertTrue(rows.contains { $0.text.unicodeScalars.contains("\u{0301}") })
        let analyzer = Analyzer()
        for row in rows {
            let terms = analyzer.terms(row.text)
            XCTAssertEqual(scalars(terms), scalars(row.terms),
                           "\(row.source): \(escaped(terms)), bm25s \(escaped(row.terms))")
        }
    }

    /// The edge cases make_fixture.py leaves out because Python's `re` tokenises them differently from Unicode's
    /// rule; these expectations are checked by hand against that rule.
    func testWhereBm25sTokenisesDifferently() {
        let cases: [(String, [String])] = [
            // Circled and squared Latin letters are Alphabetic (category So): tokens here, not \w in Python.
            ("\u{24B6}\u{24D1}\u{24D2} test", ["\u{24D0}\u{24D1}\u{24D2}", "test"]),
            ("\u{1F170}\u{FE0F} \u{1F171}\u{FE0F} blood", ["\u{1F170}\u{FE0F}", "\u{1F171}\u{FE0F}", "blood"]),
            // Alphabetic marks can start a token; Python only takes a mark after a letter.
            ("x \u{093F}\u{0915}", ["x", "\u{093F}\u{0915}"]),
            ("\u{0345} \u{03B1}\u{0345}", ["\u{0345}", "\u{03B1}\u{0345}"]),
            // A letter newer than Python 3.11's Unicode 14.0.
            ("x\u{1E030}y", ["x\u{1E030}y"]),
        ]
        for (text, expected) in cases {
            let terms = Analyzer().terms(text)
            XCTAssertEqual(scalars(terms), scalars(expected), "\(escaped(text)): \(escaped(terms))")
        }
    }

    func testEmptyAndStopwordOnlyTextHaveNoTerms() {
        let analyzer = Analyzer()
        XCTAssertEqual(analyzer.terms(""), [])
        XCTAssertEqual(analyzer.terms(" \t\n ,.;!? -- __"), [])
        XCTAssertEqual(analyzer.terms("The and OF a an, it IS; there: these? They were not."), ["were"])
        XCTAssertEqual(analyzer.terms("the and of a an to"), [])
    }

    func testCaseFolding() {
        let analyzer = Analyzer(stemmer: .none)
        XCTAssertEqual(analyzer.terms("HELLO World hElLo"), ["hello", "world", "hello"])
        XCTAssertEqual(scalars(analyzer.terms("ÉCOLE İstanbul STRAẞE")),
                       scalars(["école", "i\u{307}stanbul", "straße"]))
        // Capital sigma folds to final ς at the end of a word, as Python's str.lower() does, looking past the token.
        XCTAssertEqual(scalars(analyzer.terms("ΟΔΟΣ ΣΑΣ ΟΔΟΣ.ΚΑΛΟΣ")),
                       scalars(["οδος", "σας", "οδοσ", "καλος"]))
        XCTAssertEqual(scalars(analyzer.terms("\u{212A}")), scalars(["k"]))
    }

    func testDiacriticsAreKeptAndNotNormalised() {
        let analyzer = Analyzer(stemmer: .none)
        XCTAssertEqual(scalars(analyzer.terms("Résumé, café; naïve")), scalars(["résumé", "café", "naïve"]))
        // A combining accent stays in its token, and the decomposed spelling is not composed.
        XCTAssertEqual(scalars(analyzer.terms("CAFE\u{301} x\u{301}\u{302}y")),
                       [[0x63, 0x61, 0x66, 0x65, 0x301], [0x78, 0x301, 0x302, 0x79]])
        // A mark with no letter before it separates.
        XCTAssertEqual(analyzer.terms("\u{301}abc \u{308}"), ["abc"])
    }

    func testDigitsAreKept() {
        XCTAssertEqual(Analyzer(stemmer: .none).terms("COVID-19 in 2024: p53, H2O, 3.14"),
                       ["covid", "19", "2024", "p53", "h2o", "3", "14"])
        XCTAssertEqual(Analyzer().terms("covid19s 1990s"), ["covid19", "1990"])
    }

    func testPunctuationSeparates() {
        XCTAssertEqual(Analyzer(stemmer: .none, stopwords: .none).terms("don't snake_case e-mail it’s a/b"),
                       ["don", "t", "snake", "case", "e", "mail", "it", "s", "a", "b"])
    }

    func testStemmerNone() {
        XCTAssertEqual(Analyzer(stemmer: .none).terms("Connections running happily"),
                       ["connections", "running", "happily"])
        XCTAssertEqual(Analyzer(stemmer: .porter).terms("Connections running happily"), ["connect", "run", "happili"])
    }

    func testStopwordsNone() {
        XCTAssertEqual(Analyzer(stemmer: .none, stopwords: .none).terms("The cat is on the mat"),
                       ["the", "cat", "is", "on", "the", "mat"])
        XCTAssertEqual(Analyzer(stemmer: .porter, stopwords: .none).terms("This was it"), ["thi", "wa", "it"])
    }

    func testStopwordsGoBeforeStemming() {
        // "ands" and "thes" are not stopwords, so they are stemmed, into words that are.
        XCTAssertEqual(Analyzer().terms("ands thes and the"), ["and", "the"])
        // The token s (from it's, U.S.) stems to the empty term, which is dropped (bm25s would keep it).
        XCTAssertEqual(Analyzer().terms("it's"), [])
        XCTAssertEqual(Analyzer().terms("the U.S. patient's"), ["u", "patient"])
    }

    func testValueSemantics() throws {
        XCTAssertEqual(Analyzer(), Analyzer(stemmer: .porter, stopwords: .english))
        XCTAssertNotEqual(Analyzer(), Analyzer(stemmer: .none))
        XCTAssertEqual(Stemmer.allCases.map(\.rawValue), ["none", "porter"])
        XCTAssertEqual(StopwordList.allCases.map(\.rawValue), ["english", "none"])
        let encoded = try JSONEncoder().encode([Stemmer.porter, .none])
        XCTAssertEqual(String(decoding: encoded, as: UTF8.self), #"["porter","none"]"#)
        XCTAssertEqual(try JSONDecoder().decode(StopwordList.self, from: Data(#""english""#.utf8)), .english)
    }
}
