import Kernels

/// How a vector space compares vectors. Every metric is turned into a *similarity*, larger for closer vectors, so
/// that one top-k and one graph walk (which orders by distance = −similarity) serve them all.
public enum Metric: String, Codable, Sendable, CaseIterable {
    /// Cosine similarity: vectors are stored at unit length, so it is their dot product.
    case cosine
    /// The raw dot product (vectors stored as given).
    case dot
    /// Euclidean distance; its similarity is minus the *squared* distance (the square root is monotone).
    case euclid

    /// Code in the index's metadata record (docs/INDEX.md); 0 is cosine, which is what older indexes hold.
    var code: UInt32 {
        switch self {
        case .cosine: return 0
        case .dot: return 1
        case .euclid: return 2
        }
    }

    init?(code: UInt32) {
        guard let metric = Metric.allCases.first(where: { $0.code == code }) else { return nil }
        self = metric
    }

    /// Larger is closer: the dot product, or minus the squared Euclidean distance.
    @inlinable
    public func similarity(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int, kernels: Kernels = .active) -> Float {
        self == .euclid ? -kernels.l2Squared(a, b, count: count) : kernels.dot(a, b, count: count)
    }

    /// `similarity` of two float arrays of equal length.
    public func similarity(_ a: [Float], _ b: [Float]) -> Float {
        self == .euclid ? -Kernels.active.l2Squared(a, b) : Kernels.active.dot(a, b)
    }
}

/// The kernels the index and the models share.
public enum Distance {
    /// Dot product of two `count`-float vectors at any 2-byte-aligned addresses (vectors read in place from LMDB's
    /// memory map are aligned no better).
    @inlinable
    public static func dot(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        Kernels.active.dot(a, b, count: count)
    }

    /// Dot product of two float arrays of equal length.
    @inlinable
    public static func dot(_ a: [Float], _ b: [Float]) -> Float { Kernels.active.dot(a, b) }
}
