import XCTest
import Lexical

final class StopwordListTests: XCTestCase {
    func testEnglishIsLucenesSet() {
        let lucene: Set<String> = [
            "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
            "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was",
            "will", "with",
        ]
        XCTAssertEqual(StopwordList.english.words, lucene)
        XCTAssertEqual(StopwordList.english.words.count, 33)
        XCTAssertEqual(StopwordList.none.words, [])
    }

    /// Analyzer's packed lookup against the plain set, on every stopword and on near misses.
    func testAnalyzerRemovesExactlyTheListedWords() {
        let analyzer = Analyzer(stemmer: .none)
        for word in StopwordList.english.words {
            XCTAssertEqual(analyzer.terms(word.uppercased()), [], word)
        }
        for word in ["x", "th", "thes", "these1", "wit", "withs", "intoo", "a1", "aa", "suchness", "1", "intothe"] {
            XCTAssertEqual(analyzer.terms(word), [word])
        }
        XCTAssertEqual(Analyzer(stemmer: .none, stopwords: .none).terms("the"), ["the"])
    }
}
