/// The original Porter (1980) stemming algorithm, exactly as Snowball's `porter` stemmer runs it (the one PyStemmer's
/// `Stemmer.Stemmer("porter")` calls), so that an index built here matches one built with bm25s + PyStemmer.
///
/// Snowball's version is the 1980 paper's, without the departures of Porter's own later C code (no `logi` rule, `abli`
/// rather than `bli`) and with no minimum length: `as` → `a`, `s` → the empty string. Only `a e i o u`, and `y` where
/// the algorithm's rules make it one, are vowels; every other scalar (digits, accented and non-Latin letters, marks,
/// punctuation, uppercase letters) is a consonant, so a non-English word comes through unchanged or with no more than
/// an English suffix rule applied. Input is meant to be a lowercased token; uppercase input is stemmed the way
/// Snowball would stem it, which treats uppercase letters as consonants.
public enum PorterStemmer {
    /// The Porter stem of `word`.
    public static func stem(_ word: String) -> String {
        var scalars = word.unicodeScalars.map(\.value)
        let count = scalars.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            return stem(base, count: buffer.count)
        }
        var result = String.UnicodeScalarView()
        for value in scalars[..<count] { result.append(Unicode.Scalar(value)!) }
        return String(result)
    }

    /// Stems the scalars `word[0..<count]` in place and returns the stem's length. Porter's rules never make a word
    /// longer, so the caller's buffer always has room.
    static func stem(_ word: UnsafeMutablePointer<UInt32>, count: Int) -> Int {
        var w = PorterWord(word, count: count)
        w.run()
        return w.k
    }
}

/// The letters the rules test, as the UInt32 scalar values the stemmer works on.
private enum Letter {
    static let c: UInt32 = 0x63, e: UInt32 = 0x65, i: UInt32 = 0x69, l: UInt32 = 0x6C, m: UInt32 = 0x6D
    static let n: UInt32 = 0x6E, r: UInt32 = 0x72, s: UInt32 = 0x73, t: UInt32 = 0x74, u: UInt32 = 0x75
    static let w: UInt32 = 0x77, x: UInt32 = 0x78, y: UInt32 = 0x79
    /// Snowball's marker for a y that acts as a consonant.
    static let consonantY: UInt32 = 0x59
}

/// One word being stemmed. The names follow Snowball's porter.sbl: `k` is the current end of the word (Snowball's
/// limit), `p1`/`p2` the starts of regions R1/R2, fixed on the original word before any suffix is removed.
private struct PorterWord {
    let w: UnsafeMutablePointer<UInt32>
    var k: Int
    var p1 = 0
    var p2 = 0

    init(_ w: UnsafeMutablePointer<UInt32>, count: Int) {
        self.w = w
        self.k = count
    }

    /// Snowball's grouping `v`: lowercase `y` counts, the `Y` that marks a consonant y does not.
    @inline(__always)
    static func isVowel(_ c: UInt32) -> Bool {
        switch c {
        case 0x61, 0x65, 0x69, 0x6F, 0x75, 0x79: true
        default: false
        }
    }

    /// Snowball's grouping `v_WXY`.
    @inline(__always)
    static func isVowelOrWXY(_ c: UInt32) -> Bool {
        isVowel(c) || c == Letter.w || c == Letter.x || c == Letter.consonantY
    }

    mutating func run() {
        // Y is marked as a consonant (initial y, or y after a vowel) by writing it uppercase, as Snowball does; it is
        // lowered again at the end only if some y was marked, which is why an uppercase Y in the input can survive.
        var yFound = false
        if k > 0 && w[0] == Letter.y {
            w[0] = Letter.consonantY
            yFound = true
        }
        if k >= 2 {
            for j in 0..<(k - 1) where Self.isVowel(w[j]) && w[j + 1] == Letter.y {
                w[j + 1] = Letter.consonantY
                yFound = true
            }
        }

        p1 = k
        p2 = k
        if let r1 = regionStart(from: 0) {
            p1 = r1
            if let r2 = regionStart(from: r1) { p2 = r2 }
        }

        step1a()
        step1b()
        step1c()
        step2()
        step3()
        step4()
        step5a()
        step5b()

        if yFound {
            for j in 0..<k where w[j] == Letter.consonantY { w[j] = Letter.y }
        }
    }

    /// Just past the first non-vowel that follows a vowel, at or after `start` (`gopast v gopast non-v`); nil if none.
    func regionStart(from start: Int) -> Int? {
        var j = start
        while j < k && !Self.isVowel(w[j]) { j += 1 }
        guard j < k else { return nil }
        j += 1
        while j < k && Self.isVowel(w[j]) { j += 1 }
        guard j < k else { return nil }
        return j + 1
    }

    @inline(__always)
    func endsWith(_ suffix: StaticString) -> Bool {
        let m = suffix.utf8CodeUnitCount
        guard k >= m else { return false }
        let p = suffix.utf8Start
        for j in 0..<m where w[k - m + j] != UInt32(p[j]) { return false }
        return true
    }

    /// Replaces the last `length` scalars with `replacement`.
    @inline(__always)
    mutating func replaceSuffix(length: Int, with replacement: StaticString) {
        let start = k - length
        let m = replacement.utf8CodeUnitCount
        let p = replacement.utf8Start
        for j in 0..<m { w[start + j] = UInt32(p[j]) }
        k = start + m
    }

    func hasVowel(before end: Int) -> Bool {
        for j in 0..<end where Self.isVowel(w[j]) { return true }
        return false
    }

    /// Snowball's `shortv`: the scalars just before `end` are a consonant, a vowel, then a consonant other than w, x
    /// or Y.
    func endsShortSyllable(at end: Int) -> Bool {
        end >= 3 && !Self.isVowelOrWXY(w[end - 1]) && Self.isVowel(w[end - 2]) && !Self.isVowel(w[end - 3])
    }

    // Each step below follows Snowball's `among`: the longest listed suffix that the word ends with is the only one
    // considered, and if its region test fails the step does nothing (no shorter suffix is tried). Candidates are
    // grouped by last letter and tried longest first to get that.

    mutating func step1a() {
        guard k > 0 && w[k - 1] == Letter.s else { return }
        if endsWith("sses") || endsWith("ies") {
            k -= 2
        } else if !endsWith("ss") {
            k -= 1
        }
    }

    mutating func step1b() {
        if endsWith("eed") {
            if k - 3 >= p1 { k -= 1 }
            return
        }
        let length: Int
        if endsWith("ed") { length = 2 } else if endsWith("ing") { length = 3 } else { return }
        guard hasVowel(before: k - length) else { return }
        k -= length
        if endsWith("at") || endsWith("bl") || endsWith("iz") {
            w[k] = Letter.e
            k += 1
        } else if k >= 2 && w[k - 1] == w[k - 2] && Self.isUndoubled(w[k - 1]) {
            k -= 1
        } else if k == p1 && endsShortSyllable(at: k) {
            w[k] = Letter.e
            k += 1
        }
    }

    /// The letters whose doubling step 1b undoes: b d f g m n p r t; other doubles, such as ll,
    /// ss and zz, stay.
    @inline(__always)
    static func isUndoubled(_ c: UInt32) -> Bool {
        switch c {
        case 0x62, 0x64, 0x66, 0x67, 0x6D, 0x6E, 0x70, 0x72, 0x74: true
        default: false
        }
    }

    mutating func step1c() {
        guard k > 0 && (w[k - 1] == Letter.y || w[k - 1] == Letter.consonantY) else { return }
        if hasVowel(before: k - 1) { w[k - 1] = Letter.i }
    }

    /// Replaces the suffix `suffix` with `replacement` if the word ends with it and it lies in the region starting at
    /// `region`. Returns whether the word ended with `suffix`, whether or not it was in the region, because that
    /// match alone ends the step's search.
    @inline(__always)
    mutating func rule(_ suffix: StaticString, _ replacement: StaticString, region: Int) -> Bool {
        guard endsWith(suffix) else { return false }
        let length = suffix.utf8CodeUnitCount
        if k - length >= region { replaceSuffix(length: length, with: replacement) }
        return true
    }

    mutating func step2() {
        guard k > 0 else { return }
        let r = p1
        switch w[k - 1] {
        case Letter.l:
            _ = rule("ational", "ate", region: r) || rule("tional", "tion", region: r)
        case Letter.i:
            _ = rule("biliti", "ble", region: r) || rule("aliti", "al", region: r) || rule("iviti", "ive", region: r)
                || rule("entli", "ent", region: r) || rule("ousli", "ous", region: r)
                || rule("enci", "ence", region: r) || rule("anci", "ance", region: r)
                || rule("abli", "able", region: r) || rule("alli", "al", region: r) || rule("eli", "e", region: r)
        case Letter.r:
            _ = rule("izer", "ize", region: r) || rule("ator", "ate", region: r)
        case Letter.n:
            _ = rule("ization", "ize", region: r) || rule("ation", "ate", region: r)
        case Letter.m:
            _ = rule("alism", "al", region: r)
        case Letter.s:
            _ = rule("fulness", "ful", region: r) || rule("ousness", "ous", region: r)
                || rule("iveness", "ive", region: r)
        default:
            return
        }
    }

    mutating func step3() {
        guard k > 0 else { return }
        let r = p1
        switch w[k - 1] {
        case Letter.e:
            _ = rule("alize", "al", region: r) || rule("icate", "ic", region: r) || rule("ative", "", region: r)
        case Letter.i:
            _ = rule("iciti", "ic", region: r)
        case Letter.l:
            _ = rule("ical", "ic", region: r) || rule("ful", "", region: r)
        case Letter.s:
            _ = rule("ness", "", region: r)
        default:
            return
        }
    }

    mutating func step4() {
        guard k > 0 else { return }
        let r = p2
        switch w[k - 1] {
        case Letter.l:
            _ = rule("al", "", region: r)
        case Letter.e:
            _ = rule("ance", "", region: r) || rule("ence", "", region: r) || rule("able", "", region: r)
                || rule("ible", "", region: r) || rule("ate", "", region: r) || rule("ive", "", region: r)
                || rule("ize", "", region: r)
        case Letter.r:
            _ = rule("er", "", region: r)
        case Letter.c:
            _ = rule("ic", "", region: r)
        case Letter.t:
            _ = rule("ement", "", region: r) || rule("ment", "", region: r) || rule("ent", "", region: r)
                || rule("ant", "", region: r)
        case Letter.u:
            _ = rule("ou", "", region: r)
        case Letter.m:
            _ = rule("ism", "", region: r)
        case Letter.i:
            _ = rule("iti", "", region: r)
        case Letter.s:
            _ = rule("ous", "", region: r)
        case Letter.n:
            // -ion goes only after s or t, and that letter stays.
            if endsWith("ion") && k - 3 >= r && k - 3 >= 1 && (w[k - 4] == Letter.s || w[k - 4] == Letter.t) { k -= 3 }
        default:
            return
        }
    }

    mutating func step5a() {
        guard k > 0 && w[k - 1] == Letter.e else { return }
        let start = k - 1
        if start >= p2 || (start >= p1 && !endsShortSyllable(at: start)) { k -= 1 }
    }

    mutating func step5b() {
        if k >= 2 && w[k - 1] == Letter.l && k - 1 >= p2 && w[k - 2] == Letter.l { k -= 1 }
    }
}
