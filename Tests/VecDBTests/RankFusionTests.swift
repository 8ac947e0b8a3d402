import VecDB
import XCTest

/// Reciprocal rank fusion and the weighted sum of normalised scores, against values worked by hand.
final class RankFusionTests: XCTestCase {
    // Two rankings: a = [x 0.9, y 0.5, z 0.1], b = [z 12, x 4, w 2].
    private let a: [(id: String, score: Double)] = [("x", 0.9), ("y", 0.5), ("z", 0.1)]
    private let b: [(id: String, score: Double)] = [("z", 12), ("x", 4), ("w", 2)]

    func testReciprocalRankFusion() throws {
        let fused = RankFusion.reciprocalRank(k: 60).fuse([a, b])
        // x: 1/61 + 1/62; z: 1/63 + 1/61; y: 1/62; w: 1/63.
        XCTAssertEqual(fused.map(\.id), ["x", "z", "y", "w"])
        XCTAssertEqual(fused[0].score, 1.0 / 61 + 1.0 / 62, accuracy: 1e-15)
        XCTAssertEqual(fused[1].score, 1.0 / 63 + 1.0 / 61, accuracy: 1e-15)
        XCTAssertEqual(fused[3].score, 1.0 / 63, accuracy: 1e-15)
        XCTAssertEqual(fused[0].ranks, [1, 2])
        XCTAssertEqual(fused[2].ranks, [2, nil])
        XCTAssertEqual(fused[3].ranks, [nil, 3])
        // k = 1 weighs the top ranks much more: x 1/2 + 1/3, z 1/4 + 1/2 = 0.75 < 0.8333.
        let sharp = RankFusion.reciprocalRank(k: 1).fuse([a, b])
        XCTAssertEqual(sharp.map(\.id), ["x", "z", "y", "w"])
        XCTAssertEqual(sharp[1].score, 0.75, accuracy: 1e-15)
    }

    func testWeightedFusionOfNormalisedScores() throws {
        // a normalised: x 1, y 0.5, z 0; b: z 1, x 0.2, w 0. Weight 0.7 on a, 0.3 on b:
        // x 0.7 + 0.06 = 0.76; y 0.35; z 0.3; w 0.
        let fused = RankFusion.weighted(first: 0.7).fuse([a, b])
        XCTAssertEqual(fused.map(\.id), ["x", "y", "z", "w"])
        for (entry, want) in zip(fused, [0.76, 0.35, 0.3, 0]) { XCTAssertEqual(entry.score, want, accuracy: 1e-12) }
        // Weight 0.2: x 0.2 + 0.16 = 0.36; z 0.8; y 0.1; w 0.
        XCTAssertEqual(RankFusion.weighted(first: 0.2).fuse([a, b]).map(\.id), ["z", "x", "y", "w"])
    }

    func testTiesGoToTheLowerIDAndEqualScoresNormaliseToOne() {
        let fused = RankFusion.weighted(first: 0.5).fuse([[("b", 3), ("a", 3)], [("c", 1)]])
        XCTAssertEqual(fused.map(\.id), ["a", "b", "c"])
        XCTAssertEqual(fused.map(\.score), [0.5, 0.5, 0.5])
    }

    func testParsingAndNames() throws {
        XCTAssertEqual(try RankFusion(parsing: "rrf"), .reciprocalRank(k: 60))
        XCTAssertEqual(try RankFusion(parsing: "rrf:20"), .reciprocalRank(k: 20))
        XCTAssertEqual(try RankFusion(parsing: "weighted:0.7"), .weighted(first: 0.7))
        XCTAssertEqual(RankFusion.reciprocalRank(k: 60).name(of: ["minilm", "bm25"]), "rrf(minilm,bm25)")
        XCTAssertEqual(RankFusion.reciprocalRank(k: 5).name(of: ["a", "b"]), "rrf:5(a,b)")
        for bad in ["rrf:0", "rrf:x", "weighted", "weighted:1.5", "borda", ""] {
            XCTAssertThrowsError(try RankFusion(parsing: bad), bad)
        }
    }
}
