// Creates a database in a temporary folder, ingests a text file (one answer per line) with the installed minilm
// model (`vecdb models pull minilm`), asks one question and prints the best answer.
//   embedding-app [ANSWERS.txt] [QUESTION]
import Foundation
import Models
import VecDB

let arguments = CommandLine.arguments
let answers = arguments.count > 1 ? arguments[1]
    : URL(fileURLWithPath: #filePath).appendingPathComponent("../../../../answers.txt").standardizedFileURL.path
let question = arguments.count > 2 ? arguments[2] : "What is GPU?"

let folder = FileManager.default.temporaryDirectory.appendingPathComponent("embedding-app-\(UUID().uuidString)")
defer { try? FileManager.default.removeItem(at: folder) }

do {
    let db = try VectorDatabase(path: folder.path, create: true)
    let embedder = try ModelResolver(store: .fromEnvironment()).embedder("minilm", in: nil)
    let summary = try db.ingest(from: try InputReader(path: answers, format: .text), embedder: embedder)
    let results = try db.read { snapshot in try snapshot.query(question, embedder: embedder, k: 1) }
    guard let best = results.hits.first else { fatalError("no documents in \(answers)") }
    print("ingested \(summary.added) documents")
    print("question: \(question)")
    print(String(format: "answer: %@ (cosine %.4f)", best.document.text, best.score))
} catch {
    FileHandle.standardError.write(Data("embedding-app: \(error)\n".utf8))
    exit(1)
}
