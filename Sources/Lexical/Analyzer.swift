/// Text → the terms BM25 counts.
///
/// The pipeline is bm25s's (`bm25s.tokenize` with `lower=True`, a stopword list and a PyStemmer stemmer), so an index
/// built here scores like one built there:
///
/// 1. Tokens: maximal runs of letters and digits (Unicode `Alphabetic`, or general category Nd, Nl or No), each of
///    which may carry combining marks (Mn, Mc, Me) after it, so `café` stays one token whether the accent is
///    precomposed or a combining U+0301. Everything else separates tokens: whitespace, punctuation (`don't` → `don`,
///    `t`), hyphens, underscores, symbols, emoji. Ideographic text without spaces is one token per run.
/// 2. Case folding: each token is lowercased with the full Unicode mapping (`İ` → `i̇`), and a capital sigma becomes
///    final `ς` where Python's `str.lower()` would make it so. Diacritics are kept, not folded (`résumé` stays
///    `résumé`), and nothing is normalised: precomposed and decomposed spellings of the same word give terms with
///    different scalars.
/// 3. Stopwords: a token in `stopwords` is dropped, compared after case folding and before stemming.
/// 4. Stemming: `stemmer` reduces what is left. A token it reduces to nothing (Porter makes `""` of the `s` in
///    `it's` and `U.S.`) is dropped: a term is at least one letter or digit. bm25s keeps that empty term; on SciFact
///    the difference moves nDCG@10 by 0.0001 (bench/bm25).
///
/// Two terms compare equal under Swift's `==` when they are canonically equivalent even if their scalars differ;
/// anything that keys on terms and must tell `café` (NFC) from `café` (NFD) apart, as Python does, should compare
/// `unicodeScalars` or UTF-8.
public struct Analyzer: Sendable, Equatable {
    /// Which stemmer reduces terms.
    public var stemmer: Stemmer
    /// Which stopword list removes terms.
    public var stopwords: StopwordList

    /// An analyzer; the defaults are bm25s's usual English setup (English stopwords, Porter stemmer).
    public init(stemmer: Stemmer = .porter, stopwords: StopwordList = .english) {
        self.stemmer = stemmer
        self.stopwords = stopwords
    }

    /// The terms of `text`, in order (duplicates kept): tokens, case-folded, stopwords removed, then stemmed.
    ///
    /// Never an empty term: a token Porter reduces to `""` (the `s` of `it's`) is dropped.
    public func terms(_ text: String) -> [String] {
        var text = text
        return text.withUTF8 { utf8 in
            var run = AnalyzerRun(text: utf8, stopwords: stopwords.matcher, stems: stemmer == .porter)
            run.scan()
            return run.terms
        }
    }
}

/// One call of `Analyzer.terms`: the scan over the text's UTF-8 and the scratch space its tokens reuse.
///
/// Tokens that are all ASCII (nearly all of them in English text) are lowercased, checked and stemmed on bytes
/// without building an intermediate String; anything else goes through the Unicode scalar path.
private struct AnalyzerRun {
    let text: UnsafeBufferPointer<UInt8>
    let stopwords: StopwordMatcher
    let stems: Bool
    var terms: [String] = []
    /// The current token lowercased as UTF-8 (ASCII path) …
    var bytes: [UInt8] = []
    /// … or as scalars (Unicode path, and the stemmer's input on both paths).
    var scalars: [UInt32] = []

    init(text: UnsafeBufferPointer<UInt8>, stopwords: StopwordMatcher, stems: Bool) {
        self.text = text
        self.stopwords = stopwords
        self.stems = stems
        terms.reserveCapacity(text.count / 8)
        bytes.reserveCapacity(32)
        scalars.reserveCapacity(32)
    }

    mutating func scan() {
        let end = text.count
        var position = 0
        var tokenStart = -1
        var tokenIsASCII = true
        while position < end {
            let byte = text[position]
            if byte < 0x80 {
                if Self.isASCIILetterOrDigit(byte) {
                    if tokenStart < 0 {
                        tokenStart = position
                        tokenIsASCII = true
                    }
                } else if tokenStart >= 0 {
                    emit(tokenStart..<position, ascii: tokenIsASCII)
                    tokenStart = -1
                }
                position += 1
                continue
            }
            let (scalar, length) = UTF8Text.decode(text, at: position)
            switch TokenClass(scalar) {
            case .letterOrDigit:
                if tokenStart < 0 { tokenStart = position }
                tokenIsASCII = false
            case .mark where tokenStart >= 0:
                tokenIsASCII = false
            case .mark, .separator:
                if tokenStart >= 0 {
                    emit(tokenStart..<position, ascii: tokenIsASCII)
                    tokenStart = -1
                }
            }
            position += length
        }
        if tokenStart >= 0 { emit(tokenStart..<end, ascii: tokenIsASCII) }
    }

    @inline(__always)
    static func isASCIILetterOrDigit(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- 0x61 < 26 || byte &- 0x30 < 10
    }

    mutating func emit(_ range: Range<Int>, ascii: Bool) {
        if ascii {
            emitASCII(range)
        } else {
            emitUnicode(range)
        }
    }

    mutating func emitASCII(_ range: Range<Int>) {
        bytes.removeAll(keepingCapacity: true)
        for position in range {
            let byte = text[position]
            bytes.append(byte &- 0x41 < 26 ? byte | 0x20 : byte)
        }
        let isStopword = bytes.withUnsafeBufferPointer { stopwords.contains(ascii: $0.baseAddress!, count: $0.count) }
        if isStopword { return }
        guard stems else {
            terms.append(String(decoding: bytes, as: UTF8.self))
            return
        }
        scalars.removeAll(keepingCapacity: true)
        for byte in bytes { scalars.append(UInt32(byte)) }
        appendStem()
    }

    mutating func emitUnicode(_ range: Range<Int>) {
        scalars.removeAll(keepingCapacity: true)
        var position = range.lowerBound
        var allASCII = true
        while position < range.upperBound {
            let (scalar, length) = UTF8Text.decode(text, at: position)
            if scalar.value < 0x80 {
                let value = scalar.value
                scalars.append(value &- 0x41 < 26 ? value | 0x20 : value)
            } else if scalar.value == 0x3A3 {
                scalars.append(UTF8Text.isFinalSigma(text, at: position, length: length) ? 0x3C2 : 0x3C3)
                allASCII = false
            } else {
                // Python's str.lower() uses each scalar's full lowercase mapping; final sigma, above, is the only
                // context it looks at, and the only place this differs from String.lowercased().
                for lowered in scalar.properties.lowercaseMapping.unicodeScalars {
                    scalars.append(lowered.value)
                    if lowered.value >= 0x80 { allASCII = false }
                }
            }
            position += length
        }
        // A token spelled with non-ASCII letters can still fold to ASCII (KELVIN SIGN → k), and is then matched the
        // way an ASCII token is.
        let isStopword: Bool
        if allASCII {
            bytes.removeAll(keepingCapacity: true)
            for value in scalars { bytes.append(UInt8(truncatingIfNeeded: value)) }
            isStopword = bytes.withUnsafeBufferPointer { stopwords.contains(ascii: $0.baseAddress!, count: $0.count) }
        } else {
            isStopword = !stopwords.isEmpty && scalars.withUnsafeBufferPointer { stopwords.contains(scalars: $0) }
        }
        if isStopword { return }
        if stems {
            appendStem()
        } else {
            terms.append(UTF8Text.string(scalars[...]))
        }
    }

    /// Stems `scalars` and appends the result, unless the stemmer left nothing.
    mutating func appendStem() {
        let count = scalars.withUnsafeMutableBufferPointer { PorterStemmer.stem($0.baseAddress!, count: $0.count) }
        guard count > 0 else { return }
        terms.append(UTF8Text.string(scalars[..<count]))
    }
}

/// How the tokeniser treats one scalar.
private enum TokenClass {
    case letterOrDigit
    /// A combining mark: part of a token when it follows a letter or digit there, a separator otherwise.
    case mark
    case separator

    @inline(__always)
    init(_ scalar: Unicode.Scalar) {
        let properties = scalar.properties
        switch properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .letterOrDigit
        case .nonspacingMark, .spacingMark, .enclosingMark:
            // Some marks are Alphabetic (Devanagari vowel signs, for one) and so can start a token on their own.
            self = properties.isAlphabetic ? .letterOrDigit : .mark
        default:
            self = properties.isAlphabetic ? .letterOrDigit : .separator
        }
    }
}

/// UTF-8 helpers over text that came from a Swift String, and so is valid UTF-8.
private enum UTF8Text {
    /// The scalar starting at `position` and its length in bytes.
    @inline(__always)
    static func decode(_ text: UnsafeBufferPointer<UInt8>, at position: Int) -> (Unicode.Scalar, Int) {
        let lead = UInt32(text[position])
        let value: UInt32
        let length: Int
        if lead < 0x80 {
            return (Unicode.Scalar(UInt8(lead)), 1)
        } else if lead < 0xE0 {
            value = (lead & 0x1F) << 6 | UInt32(text[position + 1] & 0x3F)
            length = 2
        } else if lead < 0xF0 {
            value = (lead & 0x0F) << 12 | UInt32(text[position + 1] & 0x3F) << 6 | UInt32(text[position + 2] & 0x3F)
            length = 3
        } else {
            value = (lead & 0x07) << 18 | UInt32(text[position + 1] & 0x3F) << 12
                | UInt32(text[position + 2] & 0x3F) << 6 | UInt32(text[position + 3] & 0x3F)
            length = 4
        }
        return (Unicode.Scalar(value).unsafelyUnwrapped, length)
    }

    /// The start of the scalar that ends just before `position`.
    @inline(__always)
    static func start(before position: Int, in text: UnsafeBufferPointer<UInt8>) -> Int {
        var start = position - 1
        while text[start] & 0xC0 == 0x80 { start -= 1 }
        return start
    }

    /// Whether the capital sigma at `position` lowercases to final ς, by Python's rule (Unicode's Final_Sigma): a
    /// cased letter comes before it and none after it, skipping case-ignorable scalars both ways. Like Python, this
    /// looks at the whole text, not just the token, since case-ignorable scalars include `'` and `.`.
    static func isFinalSigma(_ text: UnsafeBufferPointer<UInt8>, at position: Int, length: Int) -> Bool {
        var before = position
        var precededByCased = false
        while before > 0 {
            before = start(before: before, in: text)
            let properties = decode(text, at: before).0.properties
            if properties.isCaseIgnorable { continue }
            precededByCased = properties.isCased
            break
        }
        guard precededByCased else { return false }
        var after = position + length
        while after < text.count {
            let (scalar, scalarLength) = decode(text, at: after)
            let properties = scalar.properties
            if !properties.isCaseIgnorable { return !properties.isCased }
            after += scalarLength
        }
        return true
    }

    /// A String of the scalar values `scalars`, built straight from their UTF-8.
    static func string(_ scalars: ArraySlice<UInt32>) -> String {
        var length = 0
        for value in scalars {
            length += value < 0x80 ? 1 : value < 0x800 ? 2 : value < 0x10000 ? 3 : 4
        }
        return String(unsafeUninitializedCapacity: length) { buffer in
            var i = 0
            for value in scalars {
                if value < 0x80 {
                    buffer[i] = UInt8(value)
                    i += 1
                } else if value < 0x800 {
                    buffer[i] = UInt8(0xC0 | value >> 6)
                    buffer[i + 1] = UInt8(0x80 | value & 0x3F)
                    i += 2
                } else if value < 0x10000 {
                    buffer[i] = UInt8(0xE0 | value >> 12)
                    buffer[i + 1] = UInt8(0x80 | value >> 6 & 0x3F)
                    buffer[i + 2] = UInt8(0x80 | value & 0x3F)
                    i += 3
                } else {
                    buffer[i] = UInt8(0xF0 | value >> 18)
                    buffer[i + 1] = UInt8(0x80 | value >> 12 & 0x3F)
                    buffer[i + 2] = UInt8(0x80 | value >> 6 & 0x3F)
                    buffer[i + 3] = UInt8(0x80 | value & 0x3F)
                    i += 4
                }
            }
            return i
        }
    }
}
