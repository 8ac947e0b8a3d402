/// Why byte-level BPE could not be built or could not encode/decode.
public struct BPETokenizerError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    /// One line: control characters from tokens and merges inside the file are escaped.
    public var description: String { "BPE tokenizer: \(reason)".escapingControlCharacters }
}

/// Byte-level BPE (GPT-2 style) built from GGUF tokenizer metadata: `tokenizer.ggml.tokens`, `.merges`,
/// `.token_type` and `.pre`.
///
/// Encoding: control tokens (token type 3, e.g. `<|im_start|>`) are found in the raw text first and emitted
/// as their ids; the text between them is split by `BPEPreTokenizer`, each piece's UTF-8 bytes become the
/// byte characters of `BPEByteMapping`, and the lowest-ranked adjacent merge is applied until none applies.
/// The vocabulary is keyed by UTF-8 bytes, never by `String` equality (which would merge canonically
/// equivalent but distinct tokens).
public final class BPETokenizer: Sendable {
    /// Token strings by id (byte characters for ordinary tokens, raw text for control tokens).
    public let tokens: [String]
    /// `tokenizer.ggml.token_type` by id (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).
    public let tokenTypes: [Int32]
    public let preTokenizer: BPEPreTokenizer

    private let idsByBytes: [[UInt8]: Int32]
    /// (left id, right id) → (rank, merged id); the key packs both ids into 64 bits.
    private let merges: [UInt64: (rank: Int32, merged: Int32)]
    /// The id of each byte's single-character token, -1 where the vocabulary lacks it. SmolLM2's lacks six
    /// control bytes (4, 6, 19, 20, 22, 29) and bytes that never occur in UTF-8; like the Hugging Face BPE
    /// model without an unknown token, such bytes are dropped before merging.
    private let byteIds: [Int32]
    /// Control tokens as scalars, longest first, so the longest one matching at a position wins.
    private let controls: [(scalars: [Unicode.Scalar], id: Int32)]

    public var vocabularySize: Int { tokens.count }

    /// Bytes without a single-byte token, which `encode` drops (see `byteIds`).
    public var droppedBytes: [UInt8] { (0..<256).filter { byteIds[$0] < 0 }.map(UInt8.init) }

    /// Builds the tokenizer from a GGUF file's metadata (`tokenizer.ggml.model` must be `gpt2`).
    public convenience init(gguf: GGUFFile) throws {
        let model = try gguf.require("tokenizer.ggml.model").stringValue
        guard model == "gpt2" else {
            throw BPETokenizerError(reason: "\(gguf.name): tokenizer.ggml.model is \(model ?? "not a string"), only gpt2 (byte-level BPE) is supported")
        }
        func strings(_ key: String) throws -> [String] {
            guard let arr = try gguf.require(key).arrayValue else {
                throw GGUFError(file: gguf.name, field: "metadata '\(key)'", reason: "not an array")
            }
            return try arr.map {
                guard let s = $0.stringValue else { throw GGUFError(file: gguf.name, field: "metadata '\(key)'", reason: "not strings") }
                return s
            }
        }
        let tokens = try strings("tokenizer.ggml.tokens")
        let merges = try strings("tokenizer.ggml.merges")
        var types = [Int32](repeating: 1, count: tokens.count)
        if let arr = gguf["tokenizer.ggml.token_type"]?.arrayValue {
            guard arr.count == tokens.count else {
                throw GGUFError(file: gguf.name, field: "metadata 'tokenizer.ggml.token_type'", reason: "\(arr.count) types for \(tokens.count) tokens")
            }
            types = try arr.map {
                guard let v = $0.intValue, let i = Int32(exactly: v) else {
                    throw GGUFError(file: gguf.name, field: "metadata 'tokenizer.ggml.token_type'", reason: "not integers")
                }
                return i
            }
        }
        let pre = gguf["tokenizer.ggml.pre"]?.stringValue ?? "gpt-2"
        guard let kind = BPEPreTokenizer.Kind(rawValue: pre) else {
            throw BPETokenizerError(reason: "\(gguf.name): pre-tokenizer '\(pre)' is not supported (smollm, gpt-2)")
        }
        try self.init(tokens: tokens, tokenTypes: types, merges: merges, preTokenizer: BPEPreTokenizer(kind: kind))
    }

    /// Builds the tokenizer from its parts; `merges` are "left right" strings in rank order.
    public convenience init(tokens: [String], tokenTypes: [Int32], merges mergeStrings: [String], preTokenizer: BPEPreTokenizer) throws {
        var pairs: [(left: [UInt8], right: [UInt8])] = []
        pairs.reserveCapacity(mergeStrings.count)
        for (rank, m) in mergeStrings.enumerated() {
            let bytes = Array(m.utf8)
            guard let space = bytes.firstIndex(of: 0x20), space > 0, space < bytes.count - 1 else {
                throw BPETokenizerError(reason: "merge \(rank) '\(m)' is not two tokens separated by a space")
            }
            pairs.append((Array(bytes[..<space]), Array(bytes[(space + 1)...])))
        }
        try self.init(tokens: tokens, tokenTypes: tokenTypes, mergePairs: pairs, preTokenizer: preTokenizer)
    }

    /// Builds the tokenizer from its parts; `mergePairs` are the UTF-8 bytes of each merge's left and right
    /// token, in rank order (so tokens containing spaces can be merged too).
    init(tokens: [String], tokenTypes: [Int32], mergePairs: [(left: [UInt8], right: [UInt8])], preTokenizer: BPEPreTokenizer) throws {
        guard tokens.count == tokenTypes.count, tokens.count < Int(Int32.max) else {
            throw BPETokenizerError(reason: "\(tokens.count) tokens but \(tokenTypes.count) token types")
        }
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        self.preTokenizer = preTokenizer
        var idsByBytes: [[UInt8]: Int32] = [:]
        idsByBytes.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() {
            // On duplicates the first id wins, as in the reference tokenizers' vocabulary maps.
            let key = Array(t.utf8)
            if idsByBytes[key] == nil { idsByBytes[key] = Int32(i) }
        }
        self.idsByBytes = idsByBytes

        var byteIds: [Int32] = []
        for b in 0..<256 {
            let ch = String(Character(BPEByteMapping.byteToScalar[b]))
            byteIds.append(idsByBytes[Array(ch.utf8)] ?? -1)
        }
        self.byteIds = byteIds

        var merges: [UInt64: (rank: Int32, merged: Int32)] = [:]
        merges.reserveCapacity(mergePairs.count)
        for (rank, (left, right)) in mergePairs.enumerated() {
            // A merge whose parts or result are not in the vocabulary can never fire; skip it.
            guard let l = idsByBytes[left], let r = idsByBytes[right], let merged = idsByBytes[left + right] else { continue }
            let key = UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))
            if merges[key] == nil { merges[key] = (Int32(rank), merged) }
        }
        self.merges = merges

        var controls: [(scalars: [Unicode.Scalar], id: Int32)] = []
        for (i, t) in tokens.enumerated() where tokenTypes[i] == 3 && !t.isEmpty {
            controls.append((Array(t.unicodeScalars), Int32(i)))
        }
        // Longest first; ties by id, so the order never depends on hashing.
        controls.sort { $0.scalars.count != $1.scalars.count ? $0.scalars.count > $1.scalars.count : $0.id < $1.id }
        self.controls = controls
    }

    /// The id of a token given as its vocabulary string, or nil.
    public func id(forToken token: String) -> Int32? { idsByBytes[Array(token.utf8)] }

    /// The vocabulary string of `id`.
    public func token(forId id: Int32) throws -> String {
        guard id >= 0, Int(id) < tokens.count else { throw BPETokenizerError(reason: "id \(id) outside the vocabulary") }
        return tokens[Int(id)]
    }

    /// Token ids of `text`, control tokens included where they appear literally; nothing is added.
    public func encode(_ text: String) -> [Int32] {
        let scalars = Array(text.unicodeScalars)
        var ids: [Int32] = []
        var start = 0, i = 0
        while i < scalars.count {
            if let (length, id) = control(at: i, in: scalars) {
                if start < i { encodeOrdinary(scalars, start..<i, into: &ids) }
                ids.append(id)
                i += length
                start = i
            } else {
                i += 1
            }
        }
        if start < scalars.count { encodeOrdinary(scalars, start..<scalars.count, into: &ids) }
        return ids
    }

    /// Token ids of UTF-8 bytes; invalid UTF-8 throws instead of being replaced by U+FFFD.
    public func encode(utf8 bytes: [UInt8]) throws -> [Int32] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw BPETokenizerError(reason: "input is not valid UTF-8")
        }
        return encode(text)
    }

    /// The bytes `ids` stand for (control tokens as their text); the inverse of `encode` except for bytes
    /// the vocabulary cannot represent, which `encode` drops.
    public func decode(_ ids: [Int32]) throws -> [UInt8] {
        var out: [UInt8] = []
        for id in ids {
            let t = try token(forId: id)
            if tokenTypes[Int(id)] == 3 {
                out.append(contentsOf: t.utf8)
                continue
            }
            for s in t.unicodeScalars {
                guard let b = BPEByteMapping.byte(for: s) else {
                    throw BPETokenizerError(reason: "token \(id) '\(t)' has a character outside the byte mapping")
                }
                out.append(b)
            }
        }
        return out
    }

    private func control(at i: Int, in s: [Unicode.Scalar]) -> (Int, Int32)? {
        for c in controls where c.scalars.count <= s.count - i && c.scalars[0] == s[i] {
            var k = 1
            while k < c.scalars.count && c.scalars[k] == s[i + k] { k += 1 }
            if k == c.scalars.count { return (k, c.id) }
        }
        return nil
    }

    private func encodeOrdinary(_ s: [Unicode.Scalar], _ range: Range<Int>, into ids: inout [Int32]) {
        let sub = Array(s[range])
        var utf8: [UInt8] = []
        for r in preTokenizer.split(sub) {
            utf8.removeAll(keepingCapacity: true)
            for scalar in sub[r] { utf8.append(contentsOf: UTF8.encode(scalar)!) }
            bpe(utf8, into: &ids)
        }
    }

    /// Merges one piece: start from one symbol per byte and repeatedly merge the adjacent pair of lowest rank
    /// (leftmost on ties) until no pair has a merge. Symbols sit in a linked list and candidate pairs in a
    /// min-heap keyed by (rank, position), so a piece of n bytes costs O(n log n): a megabyte without a space
    /// must not take quadratic time.
    private func bpe(_ bytes: [UInt8], into ids: inout [Int32]) {
        var symbols = bytes.compactMap { b -> Int32? in
            let id = byteIds[Int(b)]
            return id >= 0 ? id : nil
        }
        let n = symbols.count
        guard n > 1 else { ids.append(contentsOf: symbols); return }
        var next = Array(1...n)           // n marks the end
        var prev = Array(-1..<(n - 1))
        var alive = [Bool](repeating: true, count: n)
        var heap = BPEPairHeap()
        func push(_ left: Int) {
            let right = next[left]
            guard left >= 0, right < n else { return }
            let key = UInt64(UInt32(symbols[left])) << 32 | UInt64(UInt32(symbols[right]))
            if let m = merges[key] {
                heap.push(.init(order: UInt64(UInt32(m.rank)) << 32 | UInt64(UInt32(left)),
                                left: Int32(left), leftId: symbols[left], rightId: symbols[right], merged: m.merged))
            }
        }
        for k in 0..<(n - 1) { push(k) }
        while let e = heap.pop() {
            let left = Int(e.left), right = next[left]
            // Skip entries made stale by earlier merges.
            guard alive[left], right < n, symbols[left] == e.leftId, symbols[right] == e.rightId else { continue }
            symbols[left] = e.merged
            alive[right] = false
            next[left] = next[right]
            if next[right] < n { prev[next[right]] = left }
            if prev[left] >= 0 { push(prev[left]) }
            push(left)
        }
        var k = 0
        while k < n {
            ids.append(symbols[k])
            k = next[k]
        }
    }
}

/// A binary min-heap of candidate merges for `BPETokenizer.bpe`.
struct BPEPairHeap {
    struct Entry {
        /// rank << 32 | left position: lowest rank first, leftmost on ties.
        var order: UInt64
        var left: Int32
        var leftId: Int32
        var rightId: Int32
        var merged: Int32
    }

    private var items: [Entry] = []

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].order < items[parent].order else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l].order < items[m].order { m = l }
                if r < items.count && items[r].order < items[m].order { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
