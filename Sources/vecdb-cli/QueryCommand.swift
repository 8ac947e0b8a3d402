import ArgumentParser
import Foundation
import VecDB

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Find the stored documents most similar to a text.",
        discussion: """
            Embeds the text with the collection's model and ranks documents by cosine similarity. Results come \
            from one committed snapshot (its LMDB transaction id is "snapshot" in --json output).

            Examples:
              vecdb query "What is GPU?"
              vecdb query "Where is OpenAI based?" -k 3 --json
              vecdb query "What is GPU?" --model smollm2 --pooling logits
            """
    )

    @Argument(help: "The query text.")
    var text: String

    @Option(name: .short, help: "Number of results.")
    var k: Int = 10

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var modelOptions: ModelOptions

    @Flag(help: "Print {\"results\": [{\"id\", \"text\", \"score\", ...}]} as JSON.")
    var json = false

    func validate() throws {
        guard k > 0 else { throw ValidationError("-k must be positive") }
    }

    func run() throws {
        let db = try database.open(create: false)
        let embedder = try modelOptions.singleSpaceEmbedder()
        let results = try db.query(text, embedder: embedder, k: k)
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
                "snapshot": results.snapshot, "search": "exact", "scanned": results.scanned,
            ] as [String: Any])
            return
        }
        if results.hits.isEmpty { print("no documents") }
        for (rank, hit) in results.hits.enumerated() {
            print(String(format: "%2d. %.4f  #%llu  ", rank + 1, hit.score, hit.document.id) + hit.document.text)
        }
    }
}
