/// Which stopword list removes terms.
///
/// The raw values are stable: they are what an index records, so that a query is analysed the way its documents were.
public enum StopwordList: String, Codable, Sendable, CaseIterable {
    /// Lucene's `EnglishAnalyzer` default set, 33 words; bm25s's `stopwords="en"` list is the same set.
    case english
    /// Nothing is removed.
    case none

    /// The words this list removes, lowercase, compared with the already case-folded token scalar for scalar.
    public var words: Set<String> {
        switch self {
        case .english: Self.englishWords
        case .none: []
        }
    }

    private static let englishWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
        "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was",
        "will", "with",
    ]

    /// The lookup `Analyzer` uses on every token, built once per list.
    var matcher: StopwordMatcher {
        switch self {
        case .english: Self.englishMatcher
        case .none: StopwordMatcher.empty
        }
    }

    private static let englishMatcher = StopwordMatcher(englishWords)
}

/// A stopword set arranged so that the common case, a short ASCII token, is answered without building or hashing a
/// String: such a word packs into one UInt64 (token bytes are letters and digits, never 0, so packing needs no length),
/// and a binary search over a few dozen integers beats a Set<String> lookup by a wide margin.
struct StopwordMatcher: Sendable {
    static let empty = StopwordMatcher([])

    /// Packed ASCII words of 1...8 bytes, sorted.
    private let packed: [UInt64]
    /// Every other word (longer, or not ASCII), matched scalar for scalar, because Set<String> compares by canonical
    /// equivalence and Python (bm25s) compares code points.
    private let others: [[UInt32]]
    /// Bytes of the longest packed word; longer ASCII tokens skip the packed search.
    private let longestPacked: Int

    var isEmpty: Bool { packed.isEmpty && others.isEmpty }

    init(_ words: Set<String>) {
        var packed: [UInt64] = []
        var others: [[UInt32]] = []
        var longest = 0
        for word in words {
            let bytes = Array(word.utf8)
            if (1...8).contains(bytes.count), bytes.allSatisfy({ $0 < 0x80 }) {
                packed.append(bytes.withUnsafeBufferPointer { Self.pack($0.baseAddress!, count: $0.count) })
                longest = max(longest, bytes.count)
            } else {
                others.append(word.unicodeScalars.map(\.value))
            }
        }
        self.packed = packed.sorted()
        self.others = others
        self.longestPacked = longest
    }

    @inline(__always)
    static func pack(_ bytes: UnsafePointer<UInt8>, count: Int) -> UInt64 {
        var key: UInt64 = 0
        for i in 0..<count { key = key << 8 | UInt64(bytes[i]) }
        return key
    }

    /// Whether the lowercase ASCII token `bytes[0..<count]` is a stopword.
    @inline(__always)
    func contains(ascii bytes: UnsafePointer<UInt8>, count: Int) -> Bool {
        if count <= longestPacked {
            let key = Self.pack(bytes, count: count)
            var lo = 0, hi = packed.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if packed[mid] < key { lo = mid + 1 } else { hi = mid }
            }
            if lo < packed.count && packed[lo] == key { return true }
        }
        if others.isEmpty { return false }
        return others.contains { word in
            word.count == count && word.indices.allSatisfy { word[$0] == UInt32(bytes[$0]) }
        }
    }

    /// Whether the case-folded token `scalars` (not all ASCII) is a stopword.
    func contains(scalars: UnsafeBufferPointer<UInt32>) -> Bool {
        others.contains { $0.elementsEqual(scalars) }
    }
}
