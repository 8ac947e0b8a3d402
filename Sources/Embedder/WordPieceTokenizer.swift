import Foundation

/// BERT's WordPiece tokenizer, reproducing Hugging Face `tokenizers` id for id.
///
/// Pipeline: special tokens (`[CLS]`, `[SEP]`, … written literally in the text) are cut out of the raw text
/// first, the rest goes through `BertNormalizer` and its pre-tokenizer, then each word is split greedily,
/// longest vocabulary match first, continuation pieces carrying the `##` prefix. A word with no complete
/// split, or longer than `maxInputCharsPerWord` scalars, becomes `[UNK]`.
public final class WordPieceTokenizer: Sendable {
    public let normalizer: BertNormalizer
    /// Id of the token that starts every sequence (`[CLS]`).
    public let clsID: Int32
    /// Id of the token that ends every sequence (`[SEP]`).
    public let sepID: Int32
    public let unkID: Int32
    public let continuingSubwordPrefix: String
    /// Words with more Unicode scalars than this become `[UNK]` without being split.
    public let maxInputCharsPerWord: Int

    private let vocab: VocabTable
    /// Tokens that are not `##` pieces, keyed by their text after the prefix, so that a continuation piece
    /// is looked up as a slice of the word without copying the prefix in front of it.
    private let continuations: VocabTable
    private let idToToken: [String]
    /// Special tokens matched scalar-exactly in the raw text, longest first.
    private let specials: [(scalars: [Unicode.Scalar], id: Int32)]

    /// Number of ids (the embedding table's row count must be at least this).
    public var vocabularySize: Int { idToToken.count }

    /// Loads a Hugging Face `tokenizer.json` whose model is WordPiece (BERT family).
    public convenience init(tokenizerJSON url: URL) throws {
        let path = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw EmbedderError.file(path, "cannot read (\(error.localizedDescription))")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw EmbedderError.file(path, "not a JSON object")
        }
        guard let model = root["model"] as? [String: Any] else { throw EmbedderError.file(path, "missing field 'model'") }
        guard (model["type"] as? String) == "WordPiece" else {
            throw EmbedderError.file(path, "model.type is '\(model["type"] ?? "missing")', expected 'WordPiece'")
        }
        guard let vocabObject = model["vocab"] as? [String: Any] else {
            throw EmbedderError.file(path, "model.vocab is not an object")
        }
        var tokens = [String?](repeating: nil, count: vocabObject.count)
        for (token, value) in vocabObject {
            guard let id = (value as? NSNumber)?.intValue, id >= 0 else {
                throw EmbedderError.file(path, "model.vocab['\(token)'] is not a non-negative integer")
            }
            // Ids index an array sized by the entry count, never by the largest id: a hostile id of 2^31 must
            // not allocate 2^31 slots.
            guard id < tokens.count else {
                throw EmbedderError.file(path, "model.vocab['\(token)'] has id \(id), but ids must be 0..<\(tokens.count)")
            }
            tokens[id] = token
        }
        // A JSON parser that keys by `String` merges canonically equivalent keys: a missing id reveals that.
        if let hole = tokens.firstIndex(where: { $0 == nil }) {
            throw EmbedderError.file(path, "model.vocab has no token with id \(hole) (ids must be 0..<\(tokens.count); canonically equivalent duplicate keys?)")
        }
        var normalizer = BertNormalizer()
        if let n = root["normalizer"] as? [String: Any] {
            guard (n["type"] as? String) == "BertNormalizer" else {
                throw EmbedderError.file(path, "normalizer.type is '\(n["type"] ?? "missing")', only BertNormalizer is supported")
            }
            normalizer.cleanText = (n["clean_text"] as? Bool) ?? true
            normalizer.handleChineseChars = (n["handle_chinese_chars"] as? Bool) ?? true
            normalizer.stripAccents = n["strip_accents"] as? Bool
            normalizer.lowercase = (n["lowercase"] as? Bool) ?? true
        }
        if let p = root["pre_tokenizer"] as? [String: Any], (p["type"] as? String) != "BertPreTokenizer" {
            throw EmbedderError.file(path, "pre_tokenizer.type is '\(p["type"] ?? "missing")', only BertPreTokenizer is supported")
        }
        var specials: [String] = []
        for case let added as [String: Any] in (root["added_tokens"] as? [Any]) ?? [] {
            // Only tokens matched in the raw text; `normalized: true` ones would be matched after normalisation.
            if let content = added["content"] as? String, (added["normalized"] as? Bool) != true { specials.append(content) }
        }
        var cls = "[CLS]", sep = "[SEP]"
        if let post = root["post_processor"] as? [String: Any] {
            if let single = post["single"] as? [[String: Any]] {
                let names = single.compactMap { ($0["SpecialToken"] as? [String: Any])?["id"] as? String }
                if let first = names.first, let last = names.last, names.count == 2 { cls = first; sep = last }
            } else if let c = post["cls"] as? [Any], let s = post["sep"] as? [Any], let cn = c.first as? String, let sn = s.first as? String {
                cls = cn
                sep = sn
            }
        }
        try self.init(
            tokens: tokens.map { $0! }, normalizer: normalizer, specialTokens: specials, clsToken: cls, sepToken: sep,
            unkToken: (model["unk_token"] as? String) ?? "[UNK]",
            prefix: (model["continuing_subword_prefix"] as? String) ?? "##",
            maxInputCharsPerWord: (model["max_input_chars_per_word"] as? Int) ?? 100, file: path)
    }

    /// Loads a BERT `vocab.txt` (one token per line, id = line number) with the given normalisation.
    public convenience init(vocabTxt url: URL, normalizer: BertNormalizer = BertNormalizer()) throws {
        let path = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw EmbedderError.file(path, "cannot read (\(error.localizedDescription))")
        }
        var tokens: [String] = []
        var lines = Array(data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        for (number, var line) in lines.enumerated() {
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            // Never `String(decoding:)`: it would silently turn bad bytes into U+FFFD and shift no ids but corrupt keys.
            guard let token = String(validating: line, as: UTF8.self) else {
                throw EmbedderError.file(path, "line \(number + 1) is not valid UTF-8")
            }
            tokens.append(token)
        }
        try self.init(
            tokens: tokens, normalizer: normalizer, specialTokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
            clsToken: "[CLS]", sepToken: "[SEP]", unkToken: "[UNK]", prefix: "##", maxInputCharsPerWord: 100, file: path)
    }

    /// Builds a tokenizer from a vocabulary listed in id order.
    public init(
        tokens: [String], normalizer: BertNormalizer, specialTokens: [String], clsToken: String, sepToken: String,
        unkToken: String, prefix: String, maxInputCharsPerWord: Int, file: String = "vocabulary"
    ) throws {
        var vocab = VocabTable(capacity: tokens.count)
        var continuations = VocabTable(capacity: tokens.count / 4)
        let prefixBytes = Array(prefix.utf8)
        for (id, token) in tokens.enumerated() {
            let bytes = Array(token.utf8)
            vocab.insert(bytes, id: Int32(id))
            if bytes.count > prefixBytes.count, bytes.starts(with: prefixBytes) {
                continuations.insert(Array(bytes[prefixBytes.count...]), id: Int32(id))
            }
        }
        func lookup(_ token: String, _ role: String) throws -> Int32 {
            guard let id = vocab.id(Array(token.utf8)) else {
                throw EmbedderError.file(file, "\(role) token '\(token)' is not in the vocabulary")
            }
            return id
        }
        clsID = try lookup(clsToken, "CLS")
        sepID = try lookup(sepToken, "SEP")
        unkID = try lookup(unkToken, "unknown")
        self.specials = specialTokens.compactMap { token in
            vocab.id(Array(token.utf8)).map { (Array(token.unicodeScalars), $0) }
        }.filter { !$0.0.isEmpty }.sorted { $0.0.count > $1.0.count }
        self.normalizer = normalizer
        self.vocab = vocab
        self.continuations = continuations
        self.idToToken = tokens
        self.continuingSubwordPrefix = prefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
    }

    /// The vocabulary entry of `id` (for display).
    public func token(for id: Int32) -> String {
        id >= 0 && Int(id) < idToToken.count ? idToToken[Int(id)] : ""
    }

    /// The id of a vocabulary entry, compared byte for byte.
    public func id(for token: String) -> Int32? {
        vocab.id(Array(token.utf8))
    }

    /// `[CLS] pieces… [SEP]`, cut to `maxTokens` ids in all (special tokens included).
    public func encode(_ text: String, maxTokens: Int) -> TokenizedText {
        let pieces = encodeWithoutSpecialTokens(text)
        let room = max(0, maxTokens - 2)
        let truncated = pieces.count > room
        var ids: [Int32] = [clsID]
        ids.reserveCapacity(min(pieces.count, room) + 2)
        ids.append(contentsOf: pieces.prefix(room))
        ids.append(sepID)
        return TokenizedText(ids: ids, tokens: ids.map { token(for: $0) }, truncated: truncated)
    }

    /// The WordPiece ids of `text`, with no `[CLS]`/`[SEP]` added and no truncation.
    public func encodeWithoutSpecialTokens(_ text: String) -> [Int32] {
        let scalars = Array(text.unicodeScalars)
        var ids: [Int32] = []
        var segmentStart = 0
        var i = 0
        while i < scalars.count {
            if let (length, id) = special(at: i, in: scalars) {
                encodeSegment(scalars[segmentStart..<i], into: &ids)
                ids.append(id)
                i += length
                segmentStart = i
            } else {
                i += 1
            }
        }
        encodeSegment(scalars[segmentStart..<scalars.count], into: &ids)
        return ids
    }

    private func special(at position: Int, in scalars: [Unicode.Scalar]) -> (Int, Int32)? {
        for special in specials where position + special.scalars.count <= scalars.count {
            var match = true
            for (k, scalar) in special.scalars.enumerated() where scalars[position + k] != scalar {
                match = false
                break
            }
            if match { return (special.scalars.count, special.id) }
        }
        return nil
    }

    private func encodeSegment(_ segment: ArraySlice<Unicode.Scalar>, into ids: inout [Int32]) {
        if segment.isEmpty { return }
        let normalized = normalizer.normalize(segment)
        for word in BertNormalizer.preTokenize(normalized) {
            encodeWord(word, into: &ids)
        }
    }

    /// Greedy longest-match-first over the word's UTF-8 bytes, cutting only at scalar boundaries.
    private func encodeWord(_ word: ArraySlice<Unicode.Scalar>, into ids: inout [Int32]) {
        if word.count > maxInputCharsPerWord {
            ids.append(unkID)
            return
        }
        var bytes: [UInt8] = []
        var boundaries: [Int] = [0]  // byte offset where each scalar starts, plus the end
        bytes.reserveCapacity(word.count * 2)
        for scalar in word {
            bytes.append(contentsOf: UTF8.encode(scalar)!)
            boundaries.append(bytes.count)
        }
        let firstPiece = ids.count
        bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            let scalarCount = boundaries.count - 1
            while start < scalarCount {
                let table = start == 0 ? vocab : continuations
                var found: Int32?
                // Start from the longest candidate the table could hold: with a hostile max_input_chars_per_word
                // a long word would otherwise try every end position from every start, quadratic in its length.
                var end = start
                while end < scalarCount, boundaries[end + 1] - boundaries[start] <= table.longestKey { end += 1 }
                while end > start {
                    let slice = UnsafeBufferPointer(rebasing: buffer[boundaries[start]..<boundaries[end]])
                    if let id = table.id(slice) {
                        found = id
                        break
                    }
                    end -= 1
                }
                guard let found else {
                    ids.removeSubrange(firstPiece...)
                    ids.append(unkID)
                    return
                }
                ids.append(found)
                start = end
            }
        }
    }
}
