import Foundation
import Evaluation
import TestSupport
import XCTest

/// `PairedSignificance` and `StudentT` against scipy on the same per-query scores (significance_reference.json,
/// written by make_significance_reference.py in the fixtures folder).
final class SignificanceTests: XCTestCase {
    struct Reference: Decodable {
        struct Case: Decodable {
            var name: String
            var a: [Double]
            var b: [Double]
            var p_ttest: Double
            var p_randomization: Double
            var exact: Bool
            var ci95: [Double]
        }
        struct Tail: Decodable { var t: Double; var df: Double; var p: Double }
        struct Beta: Decodable { var x: Double; var a: Double; var b: Double; var value: Double }
        struct Holm: Decodable { var p: [Double]; var adjusted: [Double] }
        var cases: [Case]
        var t_tails: [Tail]
        var betainc: [Beta]
        var holm: [Holm]
    }

    /// Resamples scipy drew for its Monte-Carlo randomization p-values (see the script).
    let referenceResamples = 200_000.0

    func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: fixture("eval/significance_reference.json"))
    }

    func testTTestMatchesScipyTo1e6() throws {
        for item in try reference().cases {
            let p = try XCTUnwrap(PairedSignificance.pairedTTest(zip(item.b, item.a).map { $0 - $1 }), item.name)
            XCTAssertEqual(p, item.p_ttest, accuracy: 1e-6, item.name)
        }
    }

    func testStudentTailsAndIncompleteBetaMatchScipy() throws {
        let reference = try reference()
        for tail in reference.t_tails {
            XCTAssertEqual(StudentT.twoSidedTail(tail.t, degreesOfFreedom: tail.df), tail.p, accuracy: 1e-10,
                           "t \(tail.t), df \(tail.df)")
        }
        for beta in reference.betainc {
            XCTAssertEqual(StudentT.regularizedIncompleteBeta(beta.x, a: beta.a, b: beta.b), beta.value, accuracy: 1e-10,
                           "I_\(beta.x)(\(beta.a), \(beta.b))")
        }
    }

    /// Within Monte-Carlo error: both p-values are estimates (scipy's exact for n ≤ 16), so their difference has
    /// standard error √(p(1 − p)/N + p(1 − p)/N_ref); the bound is 4 of those plus 1/(N + 1), the most the "+1"
    /// of vecdb's estimator moves it. A correct implementation fails this about once in 16,000 cases.
    func testRandomizationTestAgreesWithScipyWithinMonteCarloError() throws {
        let permutations = 10_000
        for item in try reference().cases {
            var generator = SplitMix64(seed: 1)
            let p = PairedSignificance.randomizationTest(zip(item.b, item.a).map { $0 - $1 }, permutations: permutations,
                                                         using: &generator)
            let reference = item.p_randomization
            let variance = reference * (1 - reference)
            let error = (variance / Double(permutations) + (item.exact ? 0 : variance / referenceResamples)).squareRoot()
            XCTAssertEqual(p, reference, accuracy: 4 * error + 1 / Double(permutations + 1), item.name)
        }
    }

    func testBootstrapIntervalWithin0005OfScipy() throws {
        for item in try reference().cases {
            var generator = SplitMix64(seed: 1)
            let interval = PairedSignificance.bootstrapInterval(zip(item.b, item.a).map { $0 - $1 }, using: &generator)
            XCTAssertEqual(interval.low, item.ci95[0], accuracy: 0.005, item.name)
            XCTAssertEqual(interval.high, item.ci95[1], accuracy: 0.005, item.name)
        }
    }

    func testHolmMatchesStatsmodels() throws {
        let reference = try reference()
        XCTAssertFalse(reference.holm.isEmpty, "the fixture was written without statsmodels")
        for item in reference.holm {
            let adjusted = PairedSignificance.holm(item.p)
            for (value, expected) in zip(adjusted, item.adjusted) { XCTAssertEqual(value, expected, accuracy: 1e-12, "\(item.p)") }
        }
        // By hand: sorted 0.01, 0.03, 0.04 → 3 × 0.01, 2 × 0.03, max(0.06, 1 × 0.04).
        XCTAssertEqual(PairedSignificance.holm([0.04, 0.01, 0.03]).map { ($0 * 1e9).rounded() / 1e9 }, [0.06, 0.03, 0.06])
    }

    func testEdgeCasesAndSeeding() {
        var generator = SplitMix64(seed: 7)
        XCTAssertNil(PairedSignificance.pairedTTest([0, 0, 0]), "no difference at all: the t statistic is 0 / 0")
        XCTAssertNil(PairedSignificance.pairedTTest([0.5]), "one query has no variance estimate")
        XCTAssertEqual(PairedSignificance.pairedTTest([0.25, 0.25, 0.25]), 0, "equal nonzero differences: t = ∞")
        XCTAssertEqual(PairedSignificance.randomizationTest([0, 0, 0], using: &generator), 1, "every flip is as extreme")
        // Four equal differences: 2 of the 16 sign patterns are as extreme as the observed one, so p → 1/8.
        let p = PairedSignificance.randomizationTest([0.1, 0.1, 0.1, 0.1], permutations: 100_000, using: &generator)
        XCTAssertEqual(p, 0.125, accuracy: 4 * (0.125 * 0.875 / 100_000).squareRoot())

        let differences = (0..<40).map { Double($0 % 7) / 10 - 0.25 }
        var first = SplitMix64(seed: 3), second = SplitMix64(seed: 3)
        XCTAssertEqual(PairedSignificance.randomizationTest(differences, using: &first),
                       PairedSignificance.randomizationTest(differences, using: &second), "the same seed, the same p")
        XCTAssertEqual(PairedSignificance.bootstrapInterval(differences, using: &first),
                       PairedSignificance.bootstrapInterval(differences, using: &second))
    }
}
