import Foundation

/// SplitMix64: a tiny seeded generator, so training runs, test data and fuzz inputs are the same on every machine
/// and run (never Swift's per-process seeded hashing), and a failure reproduces.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller).
    public mutating func gaussian() -> Float {
        let u1 = max(unit(), 1e-300), u2 = unit()
        return Float(sqrt(-2 * log(u1)) * cos(2 * Double.pi * u2))
    }
}
