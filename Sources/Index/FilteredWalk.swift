/// How a filtered search walks the graph, from the filter's selectivity s (allowed nodes / live nodes), and what
/// the walk is expected to cost. `HNSWIndex.search(allowing:)` walks this way; the planner above compares
/// `cost(ef:)` with an exact scan of the matches.
///
/// A node keeps up to M0 = 2M neighbours on layer 0, of which s · M0 are allowed on average:
/// - s · M0 ≥ M (half or more of the nodes allowed): the allowed neighbours alone connect the graph about as well as
///   the M the build keeps per node; the walk computes every neighbour's distance and passes through rejected ones
///   (as hnswlib and Qdrant do) — about 1/s distances per allowed candidate;
/// - `twoHopFloor` ≤ s · M0 < M: rejected neighbours are passed by two hops (ACORN-1, Patel et al., SIGMOD 2024):
///   only allowed nodes get a distance, about s · M0² of them within two hops of a node;
/// - s · M0 < `twoHopFloor`: two hops no longer reach enough allowed nodes to hold recall, and the walk computes
///   every neighbour's distance again — slow (the planner scans such filters' matches exactly) but exact enough.
public struct FilteredWalk: Equatable, Sendable {
    /// Whether rejected neighbours are passed by two hops rather than given a distance.
    public let twoHop: Bool
    let selectivity: Double
    let M: Int

    /// Allowed nodes per layer-0 list (s · M0) from which the two-hop walk holds recall@10 ≥ 0.95 by ef 40
    /// (bench/RESULTS.md, "Filtered search", how the two-hop floor was chosen: at M 16 on 100,000 clustered
    /// vectors, recall at ef 40 1.000 with 5 % allowed (s · M0 = 1.6), 0.956 with 3 % (0.96), 0.456 with 1 % (0.32)).
    static let twoHopFloor = 1.5
    /// A two-hop expansion's cost against an unfiltered one's (the lists of the rejected neighbours read, more
    /// candidates per expansion): about 2.5 (bench/RESULTS.md, "Filtered search": ef 100 with 10 % and 5 % allowed
    /// against ef 100 unfiltered).
    static let twoHopCostFactor = 2.5

    /// The walk for `allowed` of `live` nodes in a graph built with `M`.
    public init(allowed: Int, live: Int, M: Int) {
        self.M = M
        selectivity = live > 0 ? min(1, Double(allowed) / Double(live)) : 0
        let allowedPerList = selectivity * Double(2 * M)
        twoHop = allowedPerList < Double(M) && allowedPerList >= FilteredWalk.twoHopFloor
    }

    /// Expected distance computations of a walk keeping `ef` allowed nodes: ef · 2M for an unfiltered walk's
    /// expansions, times 1/s walking every neighbour or `twoHopCostFactor` passing by two hops.
    public func cost(ef: Int) -> Double {
        guard selectivity > 0 else { return .infinity }
        return Double(ef) * Double(2 * M) * (twoHop ? FilteredWalk.twoHopCostFactor : 1 / selectivity)
    }
}
