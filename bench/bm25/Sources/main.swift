// vecdb side of bench/bm25 (run.py drives it): builds a BM25 collection from a BEIR corpus, then answers timed
// query rounds, one thread, each on a command from stdin so that run.py can interleave it with bm25s's rounds.
//
//   bm25-bench --corpus corpus.jsonl --queries q.jsonl [--qrels qrels/test.tsv] [--k 10] [--db DIR] [--repeat N]
//   stdin: "build" (a fresh database, the corpus ingested into bm25; seconds), "query" (one round), "quit".
//   stdout: one JSON line per command.
import Foundation
import Lexical
import VecDB

struct Arguments {
    var corpus = "", queries = "", qrels: String?, db = NSTemporaryDirectory() + "vecdb-bm25-bench"
    var k = 10, repeatCount = 1
}

func parseArguments() -> Arguments {
    var arguments = Arguments()
    var iterator = CommandLine.arguments.dropFirst().makeIterator()
    while let flag = iterator.next() {
        guard let value = iterator.next() else { fatalError("\(flag) needs a value") }
        switch flag {
        case "--corpus": arguments.corpus = value
        case "--queries": arguments.queries = value
        case "--qrels": arguments.qrels = value
        case "--db": arguments.db = value
        case "--k": arguments.k = Int(value)!
        case "--repeat": arguments.repeatCount = Int(value)!
        default: fatalError("unknown argument \(flag)")
        }
    }
    return arguments
}

func jsonLines(_ path: String) throws -> [[String: Any]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
        try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
}

func emit(_ object: [String: Any]) {
    var object = object
    object["tool"] = "vecdb"
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

let arguments = parseArguments()
let corpus = try jsonLines(arguments.corpus).map { document -> (id: String, text: String) in
    let title = document["title"] as? String ?? "", text = document["text"] as? String ?? ""
    return (document["_id"] as! String, title.isEmpty ? text : title + " " + text)
}
var queries = try jsonLines(arguments.queries).map { ($0["_id"] as! String, $0["text"] as! String) }
if let qrels = arguments.qrels {
    let judged = Set(try String(contentsOfFile: qrels, encoding: .utf8).split(separator: "\n").dropFirst()
        .map { String($0.split(separator: "\t")[0]) })
    queries = queries.filter { judged.contains($0.0) }
}
let queryTexts = Array(repeating: queries.map(\.1), count: arguments.repeatCount).flatMap { $0 }

var database: VectorDatabase?

/// A fresh database holding the corpus in a bm25 collection: documents stored and postings built, one batch.
@MainActor func build() throws -> [String: Any] {
    database = nil
    try? FileManager.default.removeItem(atPath: arguments.db)
    let started = Date()
    let db = try VectorDatabase(path: arguments.db, create: true)
    try db.write { batch in
        try batch.createLexicalCollection(name: "bm25", settings: .anserini)
        for document in corpus {
            let id = try batch.putDocument(text: document.text, externalID: document.id, metadataJSON: nil).id
            try batch.putTerms(collection: "bm25", document: id)
        }
    }
    let seconds = Date().timeIntervalSince(started)
    database = db
    let (collection, statistics) = try db.read { snapshot -> (VectorCollection, LexicalStatistics) in
        let collection = snapshot.collection(named: "bm25")!
        return (collection, try snapshot.lexicalStatistics(collection))
    }
    return ["phase": "build", "docs": collection.count, "seconds": seconds, "terms": statistics.terms,
            "postings": statistics.postings, "postings_bytes": statistics.bytes,
            "bytes_per_doc": Double(statistics.bytes) / Double(collection.count),
            "bytes_per_posting": Double(statistics.bytes) / Double(statistics.postings),
            "tokens": collection.termCount ?? 0, "file_bytes": try db.storageBytes().used]
}

/// One round: every query analysed and ranked (top k by MaxScore) in one snapshot.
@MainActor func queryRound() throws -> [String: Any] {
    guard let db = database else { return ["phase": "error", "message": "build first"] }
    let analyzer = LexicalSettings.anserini.analyzer
    let analysisStarted = Date()
    var terms = 0
    for text in queryTexts { terms += analyzer.terms(text).count }
    let analysisSeconds = Date().timeIntervalSince(analysisStarted)
    var returned = 0
    let started = Date()
    try db.read { snapshot in
        for text in queryTexts { returned += try snapshot.nearestText(text, collection: "bm25", k: arguments.k).count }
    }
    let seconds = Date().timeIntervalSince(started)
    return ["phase": "query", "queries": queryTexts.count, "k": arguments.k, "seconds": seconds,
            "qps": Double(queryTexts.count) / seconds, "analysis_seconds": analysisSeconds,
            "mean_terms": Double(terms) / Double(queryTexts.count), "results": returned]
}

while let line = readLine() {
    switch line.trimmingCharacters(in: .whitespaces) {
    case "build": emit(try build())
    case "query": emit(try queryRound())
    case "quit": exit(0)
    default: emit(["phase": "error", "message": "unknown command \(line)"])
    }
}
