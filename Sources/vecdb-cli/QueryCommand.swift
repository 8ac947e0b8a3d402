import ArgumentParser
import Foundation
import Models
import Reports
import VecDB

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Find the stored documents most similar to a text.",
        discussion: """
            Embeds the text with the collection's model and ranks documents by cosine similarity. Collections of \
            10,000 vectors or more are searched through their HNSW index (ef 100), smaller ones by exact scan; \
            --exact and --ef choose. --model bm25 ranks by BM25 over the lexical collection's terms (top k by MaxScore; \
            --exact scores every document holding a query term); a text of only stopwords or unknown words finds \
            nothing. Results come from one committed snapshot (its LMDB transaction id is "snapshot" in --json output).

            --models ranks with each model and shows every list with each document's rank under the others; with \
            --fuse, one fused list instead (rrf: reciprocal rank fusion, k 60, or rrf:K; weighted:W: min–max \
            normalised scores, weight W on the first model), fused from each model's top max(k, 100), every result \
            with its rank in each input.

            Examples:
              vecdb query "What is GPU?"
              vecdb query "Where is OpenAI based?" -k 3 --json
              vecdb query "What is GPU?" --model smollm2 --pooling logits
              vecdb query "What is GPU?" --models minilm,smollm2 -k 3
              vecdb query "solar power" --where '{"year": {"$gte": 2020}, "lang": {"$in": ["en", "de"]}}'
              vecdb query "What is GPU?" --models smollm2,minilm --explain
              vecdb query "What is GPU?" --model bm25
              vecdb query "What is GPU?" --models minilm,bm25 --fuse rrf
              vecdb query "What is GPU?" --models minilm,bm25 --fuse weighted:0.7 --where '{"lang": "en"}'
            """
    )

    @Argument(help: "The query text.")
    var text: String

    @Option(name: .short, help: "Number of results.")
    var k: Int = 10

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: ArgumentHelp(
        "Compare models: comma-separated MODEL[:POOLING[:PROMPT]], e.g. minilm,smollm2,smollm2:logits:chat. "
            + "Shows each top-k list with every document's rank under the other models.", valueName: "models"))
    var models: String?

    @Flag(help: ArgumentHelp(
        "With --models: each document's score under every model and its rank movement (↑/↓ N) against the first model."))
    var explain = false

    @Option(help: ArgumentHelp(
        "With --models: print one fused list: rrf (k 60), rrf:K, or weighted:W (weight W on the first model).",
        valueName: "fusion"))
    var fuse: String?

    @Flag(help: "Scan every vector instead of searching the index (bm25: score every document holding a query term).")
    var exact = false

    @Option(help: ArgumentHelp("Search the HNSW index with this many candidates (at least k), whatever the collection's size.",
                               valueName: "n"))
    var ef: Int?

    @Option(name: .customLong("where"), help: ArgumentHelp(
        "Only documents whose metadata match this JSON filter, e.g. '{\"year\": {\"$gte\": 2020}}' "
            + "($eq $ne $gt $gte $lt $lte $in $nin $exists $and $or $not).", valueName: "json"))
    var filterJSON: String?

    @Flag(help: "Print {\"results\": [{\"id\", \"text\", \"score\", ...}]} as JSON.")
    var json = false

    var mode: SearchMode { exact ? .exact : ef.map { .index(ef: $0) } ?? .automatic }

    func validate() throws {
        guard k > 0 else { throw ValidationError("-k must be positive") }
        guard !(exact && ef != nil) else { throw ValidationError("--exact and --ef exclude each other") }
        guard ef.map({ $0 > 0 }) ?? true else { throw ValidationError("--ef must be positive") }
        if fuse != nil {
            guard let models, models.split(separator: ",").count >= 2 else {
                throw ValidationError("--fuse fuses rankings: give --models with at least two models")
            }
            guard !explain else { throw ValidationError("--fuse and --explain exclude each other") }
        }
        if explain {
            guard let models, models.split(separator: ",").count >= 2 else {
                throw ValidationError("--explain compares rankings: give --models with at least two models, the first the base")
            }
        }
    }

    func run() throws {
        let filter = try filterJSON.map { try MetadataFilter(json: $0) }
        let fusion = try fuse.map { try RankFusion(parsing: $0) }
        let db = try database.open(create: false, readOnly: true)
        // One snapshot: the collection checked against the model is the one searched.
        try db.read { snapshot in
            if let models {
                try compare(snapshot, specs: models.split(separator: ",").map { String($0) }, filter: filter, fusion: fusion)
            } else {
                try search(snapshot, filter: filter)
            }
        }
    }

    private func search(_ snapshot: Snapshot, filter: MetadataFilter?) throws {
        let embedder = try modelOptions.singleSpace(in: snapshot)
        _ = try snapshot.existingCollection(for: embedder.spaces[0])
        noteSlowPrecision(embedder)
        let results = try snapshot.query(text, embedder: embedder, k: k, mode: mode, filter: filter)
        if json {
            printJSONLine(ResultJSON.search(results, collection: embedder.spaces[0].collection))
            return
        }
        if results.hits.isEmpty { print("no documents") }
        for (rank, hit) in results.hits.enumerated() {
            print(String(format: "%2d. %.4f  #%llu  ", rank + 1, hit.score, hit.document.id) + hit.document.text)
        }
    }

    /// Ranks every document under each model (ids and scores only) and prints each top-k, decoding just those
    /// documents, with their ranks under the other models; with --explain also every model's score and the places
    /// each document gains under each model against the first (the base); with --fuse one fused list.
    private func compare(_ snapshot: Snapshot, specs: [String], filter: MetadataFilter?, fusion: RankFusion?) throws {
        var names: [String] = []
        var rankings: [[(id: UInt64, score: Float)]] = []
        for spec in specs {
            let space = try ModelOptions.resolver.space(spec: spec, in: snapshot)
            let collection = try snapshot.existingCollection(for: space.spaces[0])
            noteSlowPrecision(space)
            if collection.isLexical {
                rankings.append(try snapshot.nearestText(text, collection: collection.name, k: max(collection.count, 1), filter: filter))
            } else {
                let vector = try space.embed([text])[0][0].vector
                rankings.append(try snapshot.nearest(collection: collection.name, query: vector, k: max(collection.count, 1),
                                                     mode: .exact, filter: filter))
            }
            names.append(collection.name)
        }
        if let fusion {
            try printFused(fusion, snapshot: snapshot, names: names, rankings: rankings)
            return
        }
        let ranks = rankings.map { ranked in
            Dictionary(ranked.enumerated().map { ($1.id, $0 + 1) }, uniquingKeysWith: { a, _ in a })
        }
        let scores = rankings.map { ranked in Dictionary(ranked.map { ($0.id, $0.score) }, uniquingKeysWith: { a, _ in a }) }
        // Places document `id` gains under model `m` against the base (positive: ranked higher under `m`).
        func movement(_ id: UInt64, _ m: Int) -> Int? {
            guard let base = ranks[0][id], let here = ranks[m][id] else { return nil }
            return base - here
        }
        let shown = rankings.map { Array($0.prefix(k)) }
        var texts: [UInt64: String] = [:]
        for document in try snapshot.documents(Array(Set(shown.joined().map(\.id))).sorted()) { texts[document.id] = document.text }
        if json {
            var object: [String: Any] = [:]
            for (m, ranked) in shown.enumerated() {
                object[names[m]] = ranked.map { hit -> [String: Any] in
                    var ranksElsewhere: [String: Any] = [:]
                    for (o, other) in ranks.enumerated() where o != m { ranksElsewhere[names[o]] = other[hit.id] ?? NSNull() }
                    var entry: [String: Any] = ["id": hit.id, "text": texts[hit.id]!, "score": Double(hit.score), "ranks": ranksElsewhere]
                    if explain {
                        entry["scores"] = Dictionary(uniqueKeysWithValues: names.indices.map { o in
                            (names[o], scores[o][hit.id].map { Double($0) } as Any? ?? NSNull())
                        })
                        entry["movement"] = Dictionary(uniqueKeysWithValues: names.indices.dropFirst().map { o in
                            (names[o], movement(hit.id, o) as Any? ?? NSNull())
                        })
                    }
                    return entry
                }
            }
            var output: [String: Any] = ["models": object, "order": names]
            if explain { output["base"] = names[0] }
            printJSONLine(output)
            return
        }
        if explain {
            printExplanation(shown: shown, names: names, scores: scores, ranks: ranks, texts: texts, movement: movement)
            return
        }
        for (m, ranked) in shown.enumerated() {
            print("\(names[m]):")
            for (rank, hit) in ranked.enumerated() {
                let elsewhere = ranks.enumerated().filter { $0.offset != m }
                    .map { "\(names[$0.offset]) \($0.element[hit.id].map(String.init) ?? "-")" }.joined(separator: ", ")
                print(String(format: "%3d. %.4f  #%llu  ", rank + 1, hit.score, hit.id) + "[\(elsewhere)]  " + texts[hit.id]!)
            }
        }
    }

    /// The --fuse output: the fused top k, each with its fused score and its rank in every input.
    private func printFused(_ fusion: RankFusion, snapshot: Snapshot, names: [String], rankings: [[(id: UInt64, score: Float)]]) throws {
        let depth = max(k, RankFusion.defaultDepth)
        let fused = Array(fusion.fuse(rankings.map { $0.prefix(depth).map { (id: $0.id, score: Double($0.score)) } }).prefix(k))
        // Ranks in the whole of each input, beyond the fused depth too.
        let ranks = rankings.map { ranked in
            Dictionary(ranked.enumerated().map { ($1.id, $0 + 1) }, uniquingKeysWith: { a, _ in a })
        }
        let documents = try snapshot.documents(fused.map(\.id))
        let name = fusion.name(of: names)
        if json {
            let results = zip(fused, documents).map { entry, document -> [String: Any] in
                var object = ResultJSON.result(document, score: entry.score)
                object["ranks"] = Dictionary(uniqueKeysWithValues: names.indices.map { (names[$0], ranks[$0][entry.id] as Any? ?? NSNull()) })
                return object
            }
            printJSONLine(["fused": name, "order": names, "results": results, "snapshot": snapshot.id] as [String: Any])
            return
        }
        print("\(name):")
        if fused.isEmpty { print("no documents") }
        for (position, (entry, document)) in zip(fused, documents).enumerated() {
            let inputs = names.indices.map { "\(names[$0]) \(ranks[$0][entry.id].map(String.init) ?? "-")" }.joined(separator: ", ")
            print(String(format: "%3d. %.4f  #%llu  ", position + 1, entry.score, entry.id) + "[\(inputs)]  " + document.text)
        }
    }

    /// The --explain text: each model's top-k with the document's score under every model (this one first) and its
    /// movement against the base — under the base, where it goes under each other model; under another model,
    /// where it came from.
    private func printExplanation(
        shown: [[(id: UInt64, score: Float)]], names: [String], scores: [[UInt64: Float]], ranks: [[UInt64: Int]],
        texts: [UInt64: String], movement: (UInt64, Int) -> Int?
    ) {
        func arrow(_ places: Int?) -> String {
            guard let places else { return "–" }
            return places > 0 ? "↑\(places)" : places < 0 ? "↓\(-places)" : "="
        }
        func rank(_ id: UInt64, _ m: Int) -> String { ranks[m][id].map(String.init) ?? "–" }
        print("query: \(text)")
        print("movement: rank under \(names[0]) (the base) minus rank under the other model; ↑ = ranked higher there")
        for (m, ranked) in shown.enumerated() {
            print("\n\(names[m])\(m == 0 ? " (base)" : ""):")
            for (position, hit) in ranked.enumerated() {
                let order = [m] + names.indices.filter { $0 != m }
                let scoreText = order.map { o in "\(names[o]) " + (scores[o][hit.id].map { String(format: "%.4f", $0) } ?? "–") }
                    .joined(separator: "  ")
                let moves = m == 0
                    ? names.indices.dropFirst().map { o in "\(names[o]) \(rank(hit.id, o)) \(arrow(movement(hit.id, o)))" }
                        .joined(separator: ", ")
                    : "\(arrow(movement(hit.id, m))) from \(names[0]) \(rank(hit.id, 0))"
                print(String(format: "%3d. #%llu  ", position + 1, hit.id) + "\(scoreText)  [\(moves)]  " + texts[hit.id]!)
            }
        }
    }
}
