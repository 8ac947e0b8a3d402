import Lexical
import SeededRandom
import XCTest

/// MaxScore's top k against scoring every posting, on random postings; BM25's formula against hand-worked values.
final class MaxScoreTests: XCTestCase {
    /// Postings held in arrays, advanced by linear steps: nothing in common with the store's block cursor. Counts
    /// the postings it is moved over, to show what pruning skips.
    final class ArrayCursor: PostingCursor {
        let postings: [(document: UInt64, frequency: Int, length: Int)]
        let bm25: BM25
        var position = 0
        var visited = 0
        init(_ postings: [(document: UInt64, frequency: Int, length: Int)], _ bm25: BM25) {
            self.postings = postings
            self.bm25 = bm25
        }
        var document: UInt64 { position < postings.count ? postings[position].document : endOfPostings }
        var impact: Double { bm25.impact(frequency: postings[position].frequency, length: postings[position].length) }
        func next() {
            position += 1
            visited += 1
        }
        func advance(to target: UInt64) {
            // A skip: binary search, as the store's cursor seeks a block.
            var low = position, high = postings.count
            while low < high {
                let middle = (low + high) / 2
                if postings[middle].document < target { low = middle + 1 } else { high = middle }
            }
            if low > position { visited += 1 }
            position = low
        }
    }

    /// A random corpus: document lengths and, per term, the documents holding it with their counts.
    private static func corpus(seed: UInt64, documents: Int, terms: Int) -> (lengths: [Int], postings: [[(document: UInt64, frequency: Int, length: Int)]]) {
        var random = SplitMix64(seed: seed)
        let lengths = (0..<documents).map { _ in Int.random(in: 1...300, using: &random) }
        let postings = (0..<terms).map { term -> [(document: UInt64, frequency: Int, length: Int)] in
            // Frequent and rare terms alike: from nearly every document to a handful.
            let share = [0.9, 0.4, 0.1, 0.02, 0.003][term % 5]
            return (0..<documents).compactMap { document in
                guard Double.random(in: 0..<1, using: &random) < share else { return nil }
                return (UInt64(document), Int.random(in: 1...12, using: &random), lengths[document])
            }
        }
        return (lengths, postings)
    }

    func testTopKEqualsExhaustiveOnRandomPostings() throws {
        for seed in UInt64(1)...40 {
            let (lengths, postings) = MaxScoreTests.corpus(seed: seed, documents: 2_000, terms: 10)
            let bm25 = BM25(settings: LexicalSettings(k1: [0.9, 1.2, 2.0][Int(seed % 3)], b: [0.4, 0.75, 0][Int(seed % 3)]),
                            documentCount: lengths.count, totalLength: lengths.reduce(0, +))
            var random = SplitMix64(seed: seed &* 7919)
            let chosen = (0..<Int.random(in: 1...6, using: &random)).map { _ in Int.random(in: 0..<postings.count, using: &random) }
            let k = [1, 3, 10, 100, 5_000][Int(seed % 5)]
            let accept: ((UInt64) -> Bool)? = seed % 4 == 0 ? { $0 % 3 != 0 } : nil
            func terms() -> [QueryTerm<ArrayCursor>] {
                chosen.map { term in
                    let list = postings[term]
                    let idf = bm25.idf(documentFrequency: list.count)
                    return QueryTerm(cursor: ArrayCursor(list, bm25), weight: idf,
                                     upperBound: idf * bm25.impact(frequency: list.map(\.frequency).max() ?? 0,
                                                                  length: list.map(\.length).min() ?? 0))
                }
            }
            let pruned = terms(), exhaustive = terms()
            let fast = try MaxScore.topK(pruned, k: k, accept: accept)
            let slow = try MaxScore.exhaustiveTopK(exhaustive, k: k, accept: accept)
            XCTAssertEqual(fast.map(\.document), slow.map(\.document), "seed \(seed), k \(k)")
            XCTAssertEqual(fast.map(\.score), slow.map(\.score), "seed \(seed): the same float scores")
        }
    }

    /// A rare term that decides the top 10 and a term in nearly every document: once ten documents are held, the
    /// frequent term's bound is below the tenth score, and its postings are only skipped to the rare term's documents.
    func testFrequentTermsBelowTheThresholdAreSkippedNotRead() throws {
        let n = 20_000
        let rare: [(document: UInt64, frequency: Int, length: Int)] = (0..<30).map { (UInt64($0 * 600 + 7), 3, 40) }
        let frequent: [(document: UInt64, frequency: Int, length: Int)] = (0..<n).filter { $0 % 20 != 0 }.map { (UInt64($0), 1, 40) }
        let bm25 = BM25(settings: .anserini, documentCount: n, totalLength: n * 40)
        func terms() -> [QueryTerm<ArrayCursor>] {
            [rare, frequent].map { list in
                let idf = bm25.idf(documentFrequency: list.count)
                return QueryTerm(cursor: ArrayCursor(list, bm25), weight: idf, upperBound: idf * bm25.impact(frequency: 3, length: 40))
            }
        }
        let pruned = terms()
        let top = try MaxScore.topK(pruned, k: 10)
        XCTAssertEqual(top.map(\.document), try MaxScore.exhaustiveTopK(terms(), k: 10).map(\.document))
        XCTAssertEqual(top.map(\.document), rare.prefix(10).map(\.document))
        // Read in sequence only until ten rare documents are held (the tenth is 5,407, in the second window of
        // 4,096 ids), then skipped to the remaining rare documents: about 8,000 of its 19,000 postings.
        XCTAssertLessThan(pruned[1].cursor.visited, 2 * Int(MaxScore.windowSize) + 100, "the frequent term's \(frequent.count) postings were read")
    }

    func testTiesGoToTheLowerDocument() throws {
        let list: [(document: UInt64, frequency: Int, length: Int)] = [(2, 1, 5), (5, 1, 5), (9, 1, 5), (11, 2, 5)]
        let bm25 = BM25(settings: .anserini, documentCount: 20, totalLength: 100)
        let idf = bm25.idf(documentFrequency: 4)
        let top = try MaxScore.topK([QueryTerm(cursor: ArrayCursor(list, bm25), weight: idf,
                                               upperBound: idf * bm25.impact(frequency: 2, length: 5))], k: 3)
        XCTAssertEqual(top.map(\.document), [11, 2, 5])
    }

    /// N = 10 documents of 100 terms in all (avgdl 10); a term in 2 of them, 3 times in a document of 20 terms.
    /// idf = ln(1 + (10 − 2 + 0.5) / (2 + 0.5)) = ln(4.4); with k1 0.9, b 0.4:
    /// 3 / (3 + 0.9 · (0.6 + 0.4 · 2)) = 3 / 4.26.
    func testBM25AgainstHandWorkedValues() {
        let bm25 = BM25(settings: .anserini, documentCount: 10, totalLength: 100)
        XCTAssertEqual(bm25.idf(documentFrequency: 2), log(4.4), accuracy: 1e-12)
        XCTAssertEqual(bm25.score(idf: log(4.4), frequency: 3, length: 20), log(4.4) * 3 / 4.26, accuracy: 1e-12)
        // A term in every document still weighs more than nothing: ln(1 + 0.5 / 10.5).
        XCTAssertEqual(bm25.idf(documentFrequency: 10), log(1 + 0.5 / 10.5), accuracy: 1e-12)
        // b = 0: length does not matter.
        let flat = BM25(settings: LexicalSettings(k1: 1.2, b: 0), documentCount: 10, totalLength: 100)
        XCTAssertEqual(flat.score(idf: 1, frequency: 2, length: 1), flat.score(idf: 1, frequency: 2, length: 1_000))
        XCTAssertEqual(flat.score(idf: 1, frequency: 2, length: 7), 2 / 3.2, accuracy: 1e-12)
    }

    func testInvalidSettingsAreRefused() {
        XCTAssertThrowsError(try LexicalSettings(k1: -1).validated())
        XCTAssertThrowsError(try LexicalSettings(b: 1.5).validated())
        XCTAssertThrowsError(try LexicalSettings(k1: .nan).validated())
        XCTAssertNoThrow(try LexicalSettings(k1: 0, b: 1).validated())
    }
}
