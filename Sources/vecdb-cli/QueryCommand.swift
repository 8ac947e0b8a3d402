import ArgumentParser
import Foundation
import VecDB

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Find the stored documents most similar to a text.",
        discussion: """
            Embeds the text with the collection's model and ranks documents by cosine similarity. Collections of \
            10,000 vectors or more are searched through their HNSW index (ef 100), smaller ones by exact scan; \
            --exact and --ef choose. Results come from one committed snapshot (its LMDB transaction id is \
            "snapshot" in --json output).

            Examples:
              vecdb query "What is GPU?"
              vecdb query "Where is OpenAI based?" -k 3 --json
              vecdb query "What is GPU?" --model smollm2 --pooling logits
              vecdb query "What is GPU?" --models minilm,smollm2 -k 3
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

    @Flag(help: "Scan every vector instead of searching the index.")
    var exact = false

    @Option(help: ArgumentHelp("Search the HNSW index with this many candidates (at least k), whatever the collection's size.",
                               valueName: "n"))
    var ef: Int?

    @Flag(help: "Print {\"results\": [{\"id\", \"text\", \"score\", ...}]} as JSON.")
    var json = false

    var mode: SearchMode { exact ? .exact : ef.map { .index(ef: $0) } ?? .automatic }

    func validate() throws {
        guard k > 0 else { throw ValidationError("-k must be positive") }
        guard !(exact && ef != nil) else { throw ValidationError("--exact and --ef exclude each other") }
        guard ef.map({ $0 > 0 }) ?? true else { throw ValidationError("--ef must be positive") }
    }

    func run() throws {
        let db = try database.open(create: false, readOnly: true)
        if let models {
            return try compare(db, specs: models.split(separator: ",").map { String($0) })
        }
        let embedder = try modelOptions.singleSpaceEmbedder(database: db)
        let results = try db.query(text, embedder: embedder, k: k, mode: mode)
        if json {
            let hits = results.hits.map { hit -> [String: Any] in
                var object: [String: Any] = ["id": hit.document.id, "text": hit.document.text, "score": Double(hit.score)]
                if let external = hit.document.externalID { object["external_id"] = external }
                if let metadata = hit.document.metadataJSON,
                   let parsed = try? JSONSerialization.jsonObject(with: Data(metadata.utf8)) {
                    object["metadata"] = parsed
                }
                return object
            }
            printJSONLine([
                "results": hits, "collection": embedder.spaces[0].collection,
                "snapshot": results.snapshot, "search": results.mode.name, "scanned": results.scanned,
            ] as [String: Any])
            return
        }
        if results.hits.isEmpty { print("no documents") }
        for (rank, hit) in results.hits.enumerated() {
            print(String(format: "%2d. %.4f  #%llu  ", rank + 1, hit.score, hit.document.id) + hit.document.text)
        }
    }

    /// Ranks every document under each model and prints each top-k with the documents' ranks elsewhere.
    private func compare(_ db: VectorDatabase, specs: [String]) throws {
        var names: [String] = []
        var rankings: [[SearchHit]] = []
        for spec in specs {
            let embedder = try spaceEmbedder(spec: spec, database: db)
            let all = try db.collection(named: embedder.spaces[0].collection)?.count ?? 0
            rankings.append(try db.query(text, embedder: embedder, k: max(all, 1), mode: .exact).hits)
            names.append(embedder.spaces[0].collection)
        }
        let ranks = rankings.map { hits in
            Dictionary(hits.enumerated().map { ($1.document.id, $0 + 1) }, uniquingKeysWith: { a, _ in a })
        }
        if json {
            var object: [String: Any] = [:]
            for (m, hits) in rankings.enumerated() {
                object[names[m]] = hits.prefix(k).map { hit -> [String: Any] in
                    var ranksElsewhere: [String: Any] = [:]
                    for (o, other) in ranks.enumerated() where o != m { ranksElsewhere[names[o]] = other[hit.document.id] ?? NSNull() }
                    return ["id": hit.document.id, "text": hit.document.text, "score": Double(hit.score), "ranks": ranksElsewhere]
                }
            }
            printJSONLine(["models": object, "order": names] as [String: Any])
            return
        }
        for (m, hits) in rankings.enumerated() {
            print("\(names[m]):")
            for (rank, hit) in hits.prefix(k).enumerated() {
                let elsewhere = ranks.enumerated().filter { $0.offset != m }
                    .map { "\(names[$0.offset]) \($0.element[hit.document.id].map(String.init) ?? "-")" }.joined(separator: ", ")
                print(String(format: "%3d. %.4f  #%llu  ", rank + 1, hit.score, hit.document.id) + "[\(elsewhere)]  " + hit.document.text)
            }
        }
    }
}
