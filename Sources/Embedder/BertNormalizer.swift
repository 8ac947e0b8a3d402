import Foundation

/// BERT's text normalisation and pre-tokenisation, as Hugging Face `BertNormalizer` + `BertPreTokenizer` do it.
///
/// Everything works on `Unicode.Scalar`s: `String`/`Character` comparisons use canonical equivalence and
/// grapheme clusters, while BERT's rules (and the vocabulary) are defined per code point.
public struct BertNormalizer: Sendable, Equatable {
    /// Drop NUL, U+FFFD and control/format characters; map every whitespace character to a space.
    public var cleanText: Bool
    /// Put spaces around CJK ideographs so that each becomes a word of its own.
    public var handleChineseChars: Bool
    /// NFD-decompose and drop non-spacing marks; `nil` means "same as `lowercase`" (the uncased models).
    public var stripAccents: Bool?
    /// Lowercase every scalar (full Unicode mapping, e.g. U+0130 → "i̇").
    public var lowercase: Bool

    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    /// The normalised scalars of `text`, in HF's order: clean, CJK spacing, strip accents, lowercase.
    public func normalize<S: Sequence>(_ text: S) -> [Unicode.Scalar] where S.Element == Unicode.Scalar {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.underestimatedCount + 8)
        for scalar in text {
            if cleanText {
                if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
                if Self.isWhitespace(scalar) {
                    scalars.append(" ")
                    continue
                }
            }
            if handleChineseChars && Self.isChineseIdeograph(scalar) {
                scalars.append(" ")
                scalars.append(scalar)
                scalars.append(" ")
                continue
            }
            scalars.append(scalar)
        }
        if stripAccents ?? lowercase {
            scalars = Self.decomposeAndStripMarks(scalars)
        }
        if lowercase {
            var lowered: [Unicode.Scalar] = []
            lowered.reserveCapacity(scalars.count)
            for scalar in scalars {
                if scalar.isASCII {
                    lowered.append(scalar.value >= 65 && scalar.value <= 90 ? Unicode.Scalar(scalar.value + 32)! : scalar)
                } else {
                    lowered.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                }
            }
            scalars = lowered
        }
        return scalars
    }

    /// Splits normalised scalars into words: on whitespace (dropped) and around every punctuation scalar
    /// (kept as a word of its own).
    public static func preTokenize(_ scalars: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var words: [ArraySlice<Unicode.Scalar>] = []
        var start = 0
        for (i, scalar) in scalars.enumerated() {
            if isWhitespace(scalar) {
                if start < i { words.append(scalars[start..<i]) }
                start = i + 1
            } else if isPunctuation(scalar) {
                if start < i { words.append(scalars[start..<i]) }
                words.append(scalars[i..<i + 1])
                start = i + 1
            }
        }
        if start < scalars.count { words.append(scalars[start...]) }
        return words
    }

    /// NFD, then drop Mn (non-spacing marks): "é" → "e", "안" → its conjoining jamo.
    static func decomposeAndStripMarks(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        // Nothing below U+00C0 has a canonical decomposition or is a mark, so plain text skips Foundation.
        if scalars.allSatisfy({ $0.value < 0xC0 }) { return scalars }
        var string = String.UnicodeScalarView()
        string.append(contentsOf: scalars)
        let decomposed = String(string).decomposedStringWithCanonicalMapping
        return decomposed.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
    }

    /// Tab, newline and carriage return count as whitespace; otherwise Unicode's White_Space property.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0x09, 0x0A, 0x0D: return true
        case 0..<0x80: return false
        default: return scalar.properties.isWhitespace
        }
    }

    /// Control = Unicode "Other" categories (Cc, Cf, Cn, Co, Cs), except the whitespace controls \t \n \r.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return false
        case 0x20..<0x7F: return false
        default:
            switch scalar.properties.generalCategory {
            case .control, .format, .unassigned, .privateUse, .surrogate: return true
            default: return false
            }
        }
    }

    /// BERT counts all non-alphanumeric printable ASCII as punctuation ("$", "+", "^" are symbols in
    /// Unicode), plus every Unicode P* category.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) {
            return true
        }
        if v < 0x80 { return false }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT treats as words on their own (not kana or hangul).
    static func isChineseIdeograph(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
