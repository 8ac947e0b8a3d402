/// Splits text into the pieces byte-level BPE encodes independently, by hand over Unicode scalars (no regex
/// engine), reproducing the Hugging Face `tokenizers` pipeline the GGUF `tokenizer.ggml.pre` names:
///
/// - `smollm`: first every numeric character (`\p{N}`) becomes a piece of its own (`Digits(individual_digits)`),
///   then each piece is split by the GPT-2 pattern below.
/// - `gpt-2`: the GPT-2 pattern alone.
///
/// GPT-2 pattern: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` — alternatives
/// tried in order at each position, each taking its longest match. Nothing is dropped: the pieces concatenate
/// back to the input.
public struct BPEPreTokenizer: Sendable {
    public enum Kind: String, Sendable {
        case smollm
        case gpt2 = "gpt-2"
    }

    public let kind: Kind

    public init(kind: Kind) { self.kind = kind }

    /// The pieces of `text`, as ranges into `text`.
    public func split(_ text: [Unicode.Scalar]) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        switch kind {
        case .gpt2:
            gpt2Split(text, 0..<text.count, into: &pieces)
        case .smollm:
            var start = 0
            for i in 0..<text.count where Self.isNumber(text[i]) {
                if start < i { gpt2Split(text, start..<i, into: &pieces) }
                pieces.append(i..<(i + 1))
                start = i + 1
            }
            if start < text.count { gpt2Split(text, start..<text.count, into: &pieces) }
        }
        return pieces
    }

    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// `\s`: the Unicode White_Space property (what the Oniguruma engine behind `tokenizers` uses).
    static func isSpace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace }

    static func isOther(_ s: Unicode.Scalar) -> Bool { !isSpace(s) && !isLetter(s) && !isNumber(s) }

    /// Applies the GPT-2 pattern to `t[range]` (lookarounds see only this range, as in `tokenizers`, where
    /// each earlier split is matched on its own).
    func gpt2Split(_ t: [Unicode.Scalar], _ range: Range<Int>, into pieces: inout [Range<Int>]) {
        let end = range.upperBound
        var i = range.lowerBound
        func run(from j: Int, while p: (Unicode.Scalar) -> Bool) -> Int {
            var k = j
            while k < end && p(t[k]) { k += 1 }
            return k
        }
        while i < end {
            let c = t[i]
            // 's 't 're 've 'm 'll 'd (lower case only, as in the pattern).
            if c == "'" && i + 1 < end {
                let n1 = t[i + 1]
                if n1 == "s" || n1 == "t" || n1 == "m" || n1 == "d" {
                    pieces.append(i..<(i + 2)); i += 2; continue
                }
                if i + 2 < end {
                    let n2 = t[i + 2]
                    if (n1 == "r" && n2 == "e") || (n1 == "v" && n2 == "e") || (n1 == "l" && n2 == "l") {
                        pieces.append(i..<(i + 3)); i += 3; continue
                    }
                }
            }
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional single space, then a run of one class.
            let body = (c == " " && i + 1 < end) ? i + 1 : i
            let classes: [(Unicode.Scalar) -> Bool] = [Self.isLetter, Self.isNumber, Self.isOther]
            var matched = false
            for cls in classes {
                if cls(t[body]) {
                    let j = run(from: body, while: cls)
                    pieces.append(i..<j); i = j; matched = true
                    break
                }
                // Without the optional space the run must start at i itself.
                if body != i && cls(c) {
                    let j = run(from: i, while: cls)
                    pieces.append(i..<j); i = j; matched = true
                    break
                }
            }
            if matched { continue }
            // `\s+(?!\S)` then `\s+`: a whitespace run; when a non-space follows it, the run gives back its last
            // character (which then prefixes the next word) unless that would leave nothing.
            let j = run(from: i, while: Self.isSpace)
            if j == end || j - 1 == i {
                pieces.append(i..<j); i = j
            } else {
                pieces.append(i..<(j - 1)); i = j - 1
            }
        }
    }
}
