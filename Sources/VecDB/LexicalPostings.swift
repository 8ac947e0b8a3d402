import Lexical

// The `postings` table of lexical collections (docs/FORMAT.md, "Lexical collections"): per collection and term a
// header with the term's statistics, then its postings in blocks of up to `PostingBlock.capacity` documents, keyed by
// their last document so that one B-tree seek finds the block that holds (or would hold) any document.
extension Layout {
    /// Term headers and posting blocks of every lexical collection.
    static let postingsName = "postings"

    /// `collection · term · 0x00`: the term's header, and the prefix of its blocks. Terms are letters and digits,
    /// so their UTF-8 holds no zero byte and a term's keys never interleave with another's.
    static func termKey(collection: UInt32, term: [UInt8]) -> [UInt8] {
        bigEndian(collection) + term + [0]
    }

    /// `collection · term · 0x00 · last document (u64 BE)`.
    static func blockKey(termKey: [UInt8], lastDocument: UInt64) -> [UInt8] {
        termKey + bigEndian(lastDocument)
    }

    /// The last document a block key names (its final eight bytes).
    static func lastDocument<Key: Collection<UInt8>>(ofBlockKey key: Key) -> UInt64 {
        key.suffix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// What a `postings` key names: the term (its bytes between the collection id and the terminating zero) and,
    /// for a block, its last document (nil for the term's header); nil for a key of neither shape.
    static func postingsKeyParts(_ key: UnsafeRawBufferPointer) -> (term: Range<Int>, lastDocument: UInt64?)? {
        guard key.count > 5, let zero = key[4...].firstIndex(of: 0), zero > 4 else { return nil }
        if key.count == zero + 1 { return (4..<zero, nil) }
        guard key.count == zero + 9 else { return nil }
        return (4..<zero, lastDocument(ofBlockKey: key))
    }
}

/// A term's header: exact document frequency, and bounds that every one of its postings respects (a deletion
/// leaves them loose, never wrong): a bound on the term's score without decoding it, which `check` verifies.
struct TermStatistics: Equatable {
    /// Documents holding the term.
    var documentFrequency: Int
    /// At least the term's count in any of its documents.
    var maxFrequency: Int
    /// At most the length of any of its documents.
    var minLength: Int
    /// The last document of the term's last block: where a document past every block is appended.
    var lastBlock: UInt64

    static let empty = TermStatistics(documentFrequency: 0, maxFrequency: 0, minLength: Int(UInt32.max), lastBlock: 0)

    /// `u32 LE df · u32 LE max frequency · u32 LE min length · u64 LE last block`.
    func encoded() -> [UInt8] {
        Layout.littleEndian(UInt32(documentFrequency)) + Layout.littleEndian(UInt32(maxFrequency))
            + Layout.littleEndian(UInt32(minLength)) + Layout.littleEndian(lastBlock)
    }

    init(documentFrequency: Int, maxFrequency: Int, minLength: Int, lastBlock: UInt64) {
        self.documentFrequency = documentFrequency
        self.maxFrequency = maxFrequency
        self.minLength = minLength
        self.lastBlock = lastBlock
    }

    init?(decoding raw: UnsafeRawBufferPointer) {
        guard raw.count == 20 else { return nil }
        documentFrequency = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
        maxFrequency = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        minLength = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        lastBlock = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt64.self))
    }
}

/// One block of a term's postings: documents ascending, each with the term's count in it and its length.
///
/// Value layout: varint count · varint max frequency · varint min length (the block's own bounds, for block-max
/// pruning) · per posting varint (document − previous document; the first relative to 0) · varint frequency · varint
/// length. Varints are LEB128 (7 bits a byte, low first).
struct PostingBlock: Equatable {
    /// Postings a block holds at most: a block is decoded whole when a query reaches it, and rewritten whole when
    /// a document in it changes.
    static let capacity = 128

    var documents: [UInt64] = []
    var frequencies: [UInt32] = []
    var lengths: [UInt32] = []

    var count: Int { documents.count }
    var isEmpty: Bool { documents.isEmpty }

    mutating func append(document: UInt64, frequency: UInt32, length: UInt32) {
        documents.append(document)
        frequencies.append(frequency)
        lengths.append(length)
    }

    mutating func removeAll() {
        documents.removeAll(keepingCapacity: true)
        frequencies.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(6 + count * 4)
        Varint.append(UInt64(count), to: &out)
        Varint.append(UInt64(frequencies.max() ?? 0), to: &out)
        Varint.append(UInt64(lengths.min() ?? 0), to: &out)
        var previous: UInt64 = 0
        for i in 0..<count {
            Varint.append(documents[i] - previous, to: &out)
            Varint.append(UInt64(frequencies[i]), to: &out)
            Varint.append(UInt64(lengths[i]), to: &out)
            previous = documents[i]
        }
        return out
    }

    /// Decodes `raw` into this block (reusing its storage); false when `raw` is not a well-formed block: truncated,
    /// documents not ascending, a zero frequency, or trailing bytes.
    mutating func decode(_ raw: UnsafeRawBufferPointer) -> Bool {
        var reader = Varint.Reader(raw)
        guard let total = reader.next(), total > 0, total <= UInt64(raw.count), reader.next() != nil, reader.next() != nil else {
            removeAll()
            return false
        }
        let count = Int(total)
        if documents.count != count {
            // Sized once, then written in place: a query decodes many blocks, most of them full.
            removeAll()
            documents.append(contentsOf: repeatElement(0, count: count))
            frequencies.append(contentsOf: repeatElement(0, count: count))
            lengths.append(contentsOf: repeatElement(0, count: count))
        }
        let valid = documents.withUnsafeMutableBufferPointer { documents in
            frequencies.withUnsafeMutableBufferPointer { frequencies in
                lengths.withUnsafeMutableBufferPointer { lengths -> Bool in
                    var previous: UInt64 = 0
                    for i in 0..<count {
                        guard let delta = reader.next(), let frequency = reader.next(), let length = reader.next(),
                              delta > 0 || i == 0, frequency > 0, frequency <= UInt64(UInt32.max), length <= UInt64(UInt32.max)
                        else { return false }
                        let (document, overflow) = previous.addingReportingOverflow(delta)
                        guard !overflow else { return false }
                        documents[i] = document
                        frequencies[i] = UInt32(truncatingIfNeeded: frequency)
                        lengths[i] = UInt32(truncatingIfNeeded: length)
                        previous = document
                    }
                    return true
                }
            }
        }
        guard valid && reader.isAtEnd else {
            removeAll()
            return false
        }
        return true
    }
}

/// LEB128 unsigned integers.
enum Varint {
    static func append(_ value: UInt64, to out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }

    struct Reader {
        let raw: UnsafeRawBufferPointer
        var offset = 0

        init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

        var isAtEnd: Bool { offset == raw.count }

        /// The next value, or nil when the bytes end mid-value or it exceeds 64 bits.
        @inline(__always)
        mutating func next() -> UInt64? {
            // Most values of a posting block (gaps, counts, lengths below 128) are one byte.
            if offset < raw.count, raw[offset] < 0x80 {
                offset += 1
                return UInt64(raw[offset - 1])
            }
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while offset < raw.count {
                let byte = raw[offset]
                offset += 1
                guard shift < 64, shift < 63 || byte <= 1 else { return nil }
                value |= UInt64(byte & 0x7f) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }
    }
}

/// A document's terms as a lexical collection counts them: each distinct term's frequency, and the length.
struct AnalyzedDocument {
    var frequencies: [[UInt8]: Int]
    var length: Int

    init(_ text: String, analyzer: Analyzer) {
        let terms = analyzer.terms(text)
        var frequencies: [[UInt8]: Int] = [:]
        for term in terms { frequencies[Array(term.utf8), default: 0] += 1 }
        self.frequencies = frequencies
        length = terms.count
    }
}
