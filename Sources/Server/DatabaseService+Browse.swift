import Evaluation
import Foundation
import Hummingbird
import Reports
import VecDB

/// What a person browsing the database asks (the web page's Browse and Compare views, and any client): pages of
/// documents, a document's neighbours in every served space, and the seed's question/answer comparison.
extension DatabaseService {
    /// `GET /v1/documents?limit=&after=&where=`: one page of documents in id order.
    func documentPage(_ query: QueryString) async throws -> Data {
        try query.rejectUnknown(["limit", "after", "where"])
        let limit = try query.int("limit", in: 1...DatabaseService.largestPage) ?? 20
        let after = try query.documentNumber("after")
        let filter = try query.filter("where")
        return try await read { snapshot in
            let page = try snapshot.documentPage(after: after, limit: limit, matching: filter)
            return ResultJSON.data([
                "documents": page.documents.map(ResultJSON.document), "next": page.next.map { $0 as Any } ?? NSNull(),
                "total": page.total, "snapshot": snapshot.id,
            ] as [String: Any])
        }
    }

    static let largestPage = 1_000

    /// `GET /v1/documents/{id}/neighbors?k=`: the document's `k` nearest documents in each served space that holds it
    /// (its own stored vector as the query; in a lexical space, its text), itself left out.
    func neighbors(_ key: String, _ query: QueryString) async throws -> Data {
        try query.rejectUnknown(["k", "external"])
        let k = try query.int("k", in: 1...100) ?? 5
        let external = try query.bool("external") ?? false
        let served = models.all
        return try await read { snapshot in
            let id = try DatabaseService.documentID(key, external: external, in: snapshot)
            guard let document = try snapshot.document(id: id) else { throw VecDBError.notFound(.document(id)) }
            var lists: [String: Any] = [:]
            var order: [String] = []
            for model in served {
                guard let collection = try snapshot.compatibleCollection(for: model.space) else { continue }
                let results: SearchResults
                if model.isLexical {
                    results = try snapshot.searchText(document.text, collection: collection.name, k: k + 1)
                } else {
                    guard let vector = try snapshot.vector(collection: collection, document: id) else { continue }
                    results = try snapshot.search(collection: collection.name, query: vector, k: k + 1)
                }
                lists[collection.name] = results.hits.filter { $0.document.id != id }.prefix(k).map {
                    ResultJSON.result($0.document, score: Double($0.score))
                }
                order.append(collection.name)
            }
            return ResultJSON.data(["document": ResultJSON.document(document), "neighbors": lists, "order": order,
                                    "snapshot": snapshot.id] as [String: Any])
        }
    }

    /// `POST /v1/compare`: `vecdb compare` over HTTP. Each question against each answer, per served model (default:
    /// every vector one); without texts, the seed article's pairs and its published figures.
    func compare(_ body: JSONFields) async throws -> Data {
        try body.rejectUnknown(["questions", "answers", "models"])
        let givenQuestions = try body.strings("questions"), givenAnswers = try body.strings("answers")
        guard (givenQuestions == nil) == (givenAnswers == nil) else { throw APIError.badRequest("give both questions and answers, or neither (for the seed's pairs)") }
        let questions = givenQuestions ?? SeedExample.questions, answers = givenAnswers ?? SeedExample.answers
        guard !questions.isEmpty else { throw APIError.badRequest("questions is empty") }
        guard questions.count == answers.count else {
            throw APIError.badRequest("questions has \(questions.count) texts but answers has \(answers.count); question i pairs with answer i")
        }
        guard questions.count <= DatabaseService.largestComparison else {
            throw APIError.badRequest("at most \(DatabaseService.largestComparison) pairs are compared in one request")
        }
        for (field, texts) in [("questions", questions), ("answers", answers)] {
            if let blank = texts.firstIndex(where: { $0.unicodeScalars.allSatisfy(\.properties.isWhitespace) }) {
                throw APIError.badRequest("\(field)[\(blank)] is empty")
            }
        }
        let compared = try body.strings("models").map { try $0.map { try models.named($0) } } ?? models.all.filter { !$0.isLexical }
        guard !compared.isEmpty else { throw APIError.badRequest(body.has("models") ? "models is empty" : "this server serves no embedding model") }
        var comparisons: [(name: String, comparison: PairComparison)] = []
        for model in compared {
            // Questions, then answers: the two batches `vecdb compare` embeds.
            let q = try await model.embed(questions).map(\.vector)
            let a = try await model.embed(answers).map(\.vector)
            comparisons.append((model.name, PairComparison(questions: q, answers: a)))
        }
        var report = ComparisonJSON.report(comparisons, pairs: questions.count, seed: givenQuestions == nil)
        report["order"] = comparisons.map(\.name)
        report["questions"] = questions
        report["answers"] = answers
        return ResultJSON.data(report)
    }

    static let largestComparison = 32
}

/// A request's query string, checked like a body's fields: unknown names and malformed values are 400s that name them.
struct QueryString: Sendable {
    private let parameters: [(name: String, value: String)]

    /// Read from the raw query as a form encodes it (`+` is a space, as browsers' URLSearchParams write it).
    init(_ request: Request) throws {
        parameters = try (request.uri.query ?? "").split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ text: Substring) throws -> String {
                guard let value = text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                    throw APIError.badRequest("the query string has a malformed percent escape in '\(pair)'")
                }
                return value
            }
            return (try decoded(parts[0]), try decoded(parts.count > 1 ? parts[1] : ""))
        }
    }

    func rejectUnknown(_ known: Set<String>) throws {
        if let unknown = parameters.first(where: { !known.contains($0.name) }) {
            throw APIError(.badRequest, "unknown_field", "unknown query parameter '\(unknown.name)' (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    private func value(_ name: String) throws -> String? {
        let given = parameters.filter { $0.name == name }
        guard given.count <= 1 else { throw APIError.badRequest("query parameter \(name) is given twice") }
        return given.first?.value
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = try value(name) else { return nil }
        guard let int = Int(text), range.contains(int) else {
            throw APIError.badRequest("query parameter \(name) must be an integer from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return int
    }

    func documentNumber(_ name: String) throws -> UInt64? {
        guard let text = try value(name) else { return nil }
        guard let number = UInt64(text) else { throw APIError.badRequest("query parameter \(name) must be a document number, not '\(text)'") }
        return number
    }

    func bool(_ name: String) throws -> Bool? {
        switch try value(name) {
        case nil: return nil
        case "true": return true
        case "false": return false
        case let other?: throw APIError.badRequest("query parameter \(name) must be true or false, not '\(other)'")
        }
    }

    /// A filter given as JSON text, e.g. `where={"year":{"$gte":2020}}`: the same parser as `--where`.
    func filter(_ name: String) throws -> MetadataFilter? {
        try value(name).map { try MetadataFilter(json: $0) }
    }
}
