import ArgumentParser
import Foundation
import Evaluation
import Models
import Reports
import VecDB

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare models on question/answer pairs: cosine matrix, matching vs non-matching gap, top-1, MRR.",
        discussion: """
            Line i of --questions is answered by line i of --answers. For each model, every question is compared \
            with every answer by cosine similarity; a model that understands relevance scores matching pairs \
            clearly above non-matching ones. Nothing is stored; the database (--db) is read only to find adapters \
            named in --models (see `vecdb train`).

            Without files it runs the seed article's two questions and two answers and prints, beside vecdb's \
            models, the article's published figures for Mistral-7B-Instruct-v0.1 (a base LLM, last token) and \
            e5-mistral-7b-instruct (its contrastive fine-tune) — numbers typed in from the article, not computed.

            Examples:
              vecdb compare
              vecdb compare --models minilm,smollm2 --json
              vecdb compare --questions q.txt --answers a.txt
            """
    )

    @Option(help: ArgumentHelp("Questions, one per line.", valueName: "file"))
    var questions: String?

    @Option(help: ArgumentHelp("Answers, one per line: line i answers question i.", valueName: "file"))
    var answers: String?

    @Option(help: ArgumentHelp(
        "Comma-separated MODEL[:POOLING[:PROMPT]]: names from `vecdb models list` or paths, e.g. minilm,smollm2:logits:chat "
            + "(default: every installed model).",
        valueName: "a,b,…"))
    var models: String?

    /// Only read, for adapters named in --models.
    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print {\"models\": {NAME: {\"similarities\", \"mean_matching\", \"gap\", …}}, \"published\": …} as JSON.")
    var json = false

    /// --models, or every installed model: the seed's comparison (base decoder beside contrastive encoder) first.
    var modelNames: [String] {
        guard let models else {
            let store = ModelOptions.resolver.store
            let installed = ModelCatalog.all.filter(store.isInstalled).map(\.name)
            return installed.isEmpty ? [ModelCatalog.defaultModelName] : installed
        }
        return models.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        guard (questions == nil) == (answers == nil) else {
            throw ValidationError("give both --questions and --answers, or neither (for the seed example)")
        }
        guard !modelNames.isEmpty else { throw ValidationError("--models names no model") }
    }

    func run() throws {
        let seed = questions == nil
        let questionTexts = try questions.map { try CompareCommand.lines($0) } ?? SeedExample.questions
        let answerTexts = try answers.map { try CompareCommand.lines($0) } ?? SeedExample.answers
        guard questionTexts.count == answerTexts.count else {
            throw VecDBError.invalidInput(InputLocation(questions!), "has \(questionTexts.count) lines but \(answers!) has \(answerTexts.count); line i of each must pair up")
        }
        let embedders = try database.withSnapshotIfPresent { snapshot in
            try modelNames.map { try ModelOptions.resolver.embedder(spec: $0, in: snapshot) }
        }
        var results: [(name: String, comparison: PairComparison, seconds: Double)] = []
        for embedder in embedders {
            let started = Date()
            // Two batched calls, not one per text.
            let q = try embedder.embed(questionTexts)[0].map(\.vector)
            let a = try embedder.embed(answerTexts)[0].map(\.vector)
            let name = embedder.spaces[0].collection
            results.append((name, PairComparison(questions: q, answers: a), Date().timeIntervalSince(started)))
            printError(String(format: "%@: %.2f s", name, Date().timeIntervalSince(started)))
        }
        let published = seed ? SeedExample.published : []

        if json {
            printJSONLine(ComparisonJSON.report(results.map { ($0.name, $0.comparison) }, pairs: questionTexts.count, seed: seed))
            return
        }
        if seed {
            print("The seed article's pairs:")
            for (i, text) in questionTexts.enumerated() { print("  Q\(i + 1): \(text)") }
            for (i, text) in answerTexts.enumerated() { print("  A\(i + 1): \(text)") }
            print("")
        }
        for result in results {
            print("\(result.name) (computed by vecdb)")
            print(CompareCommand.render(result.comparison))
        }
        for figures in published {
            print("\(figures.model) — published figures from the seed article, not computed here (\(figures.note))")
            print(CompareCommand.render(PairComparison(similarities: figures.similarities)))
        }
    }

    /// The matrix (at most 10×10 shown) and its summary line.
    static func render(_ c: PairComparison) -> String {
        let n = c.similarities.count, shown = min(n, 10)
        var out = "        " + (0..<shown).map { "A\($0 + 1)".leftPadded(7) }.joined(separator: " ") + (n > shown ? "  …" : "") + "\n"
        for i in 0..<shown {
            out += "  " + "Q\(i + 1)".padding(toLength: 6, withPad: " ", startingAt: 0)
                + (0..<shown).map { String(format: "%7.4f", c.similarities[i][$0]) }.joined(separator: " ") + "\n"
        }
        out += String(format: "  matching mean %.4f", c.meanMatching)
        if let other = c.meanNonMatching, let gap = c.gap {
            out += String(format: ", non-matching mean %.4f, gap %.4f", other, gap)
        }
        out += String(format: "; top-1 accuracy %.3f, MRR %.3f\n", c.top1Accuracy, c.meanReciprocalRank)
        return out
    }

    /// The file's lines; a blank line is an error because it would shift every later pair.
    static func lines(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw VecDBError.invalidInput(InputLocation(path), "no such file or not readable") }
        guard let text = String(validating: [UInt8](data), as: UTF8.self) else { throw VecDBError.invalidInput(InputLocation(path), "invalid UTF-8") }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        if lines.last == "" { lines.removeLast() }
        for (index, line) in lines.enumerated() where line.trimmingCharacters(in: .whitespaces).isEmpty {
            throw VecDBError.invalidInput(InputLocation(path, line: index + 1), "blank line (line i of --questions pairs with line i of --answers)")
        }
        guard !lines.isEmpty else { throw VecDBError.invalidInput(InputLocation(path), "no lines") }
        return lines
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
