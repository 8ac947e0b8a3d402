/// How a filtered search walks the graph, from the filter's selectivity s (allowed nodes / live nodes), and what
/// the walk is expected to cost and find. `HNSWIndex.search(allowing:)` walks this way; the planner above compares
/// `cost(ef:)` with an exact scan of the matches and scans exactly where the walk is not `dependable`.
///
/// A node keeps up to M0 = 2M neighbours on layer 0, of which s · M0 are allowed on average:
/// - s · M0 ≥ M (half or more of the nodes allowed): the allowed neighbours alone connect the graph about as well as
///   the M the build keeps per node; the walk computes every neighbour's distance and passes through rejected ones
///   (as hnswlib and Qdrant do) — about 1/s distances per allowed candidate;
/// - below that, rejected neighbours are passed by two hops (ACORN-1, Patel et al., SIGMOD 2024): only allowed
///   nodes get a distance, about s · M0² of them within two hops of a node.
public struct FilteredWalk: Equatable, Sendable {
    /// Whether rejected neighbours are passed by two hops rather than given a distance.
    public let twoHop: Bool
    /// Whether the walk holds recall@10 ≥ 0.95 at ef 100: the two-hop walk does while an average neighbour list
    /// holds `dependableAllowedPerList` allowed nodes (bench/RESULTS.md, "Filtered search": at M 16 on 100,000
    /// clustered vectors, recall 0.995 at ef 40 with 5 % allowed, 0.966 with 3 %, 0.88 with 2 %); below, the walk
    /// falls back on computing rejected neighbours' distances where two hops find nothing, and costs about what
    /// walking every neighbour does.
    public let dependable: Bool
    let selectivity: Double
    let M: Int

    /// Allowed nodes per layer-0 list (s · M0) from which the two-hop walk is dependable.
    static let dependableAllowedPerList = 1.5
    /// A two-hop expansion's cost against an unfiltered one's (the lists of the rejected neighbours read, more
    /// candidates per expansion): about 3 (bench/RESULTS.md, "Filtered search", ef 100 at 10 % allowed against ef
    /// 100 unfiltered).
    static let twoHopCostFactor = 3.0

    /// The walk for `allowed` of `live` nodes in a graph built with `M`.
    public init(allowed: Int, live: Int, M: Int) {
        self.M = M
        selectivity = live > 0 ? min(1, Double(allowed) / Double(live)) : 0
        let allowedPerList = selectivity * Double(2 * M)
        twoHop = allowedPerList < Double(M)
        dependable = allowedPerList >= FilteredWalk.dependableAllowedPerList
    }

    /// Expected distance computations of a walk keeping `ef` allowed nodes: ef · 2M per unfiltered-like expansion,
    /// times 1/s walking every neighbour or `twoHopCostFactor` passing by two hops.
    public func cost(ef: Int) -> Double {
        let expansions = Double(ef) * Double(2 * M)
        guard selectivity > 0 else { return .infinity }
        return expansions * (twoHop ? FilteredWalk.twoHopCostFactor : 1 / selectivity)
    }
}
