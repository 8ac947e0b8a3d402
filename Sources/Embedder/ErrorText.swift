extension String {
    /// The text with control characters (newline, tab, escape, NUL, …) and the Unicode line and paragraph
    /// separators written as Swift escapes (`\n`, `\u{1B}`), so that a tensor name or key taken from a hostile
    /// file cannot split an error message over several lines or drive the terminal.
    var escapingControlCharacters: String {
        var out = ""
        out.unicodeScalars.reserveCapacity(unicodeScalars.count)
        for scalar in unicodeScalars {
            if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" {
                out += scalar.escaped(asASCII: true)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
