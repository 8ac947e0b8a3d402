/// Deterministic distinct sentences: SplitMix64 picks words, the line number keeps each line unique.
public func syntheticSentences(_ count: Int, seed: UInt64, words perLine: Int = 8) -> [String] {
    let words = ["river", "protein", "galaxy", "market", "engine", "forest", "cell", "voltage", "poem", "harbor",
                 "enzyme", "planet", "storm", "ledger", "violin", "glacier", "signal", "theorem", "copper", "meadow"]
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { i in
        let picked = (0..<perLine).map { _ in words[Int(generator.next() % UInt64(words.count))] }
        return "Note \(i): " + picked.joined(separator: " ") + "."
    }
}
