// Embedding throughput of vecdb's Swift pipeline (tokenizer + BERT on OpenBLAS + pooling) on a file of texts,
// one text per line: the same work sentence-transformers' `encode` does, model loading excluded.
// Usage: embed-bench MODEL_FOLDER TEXTS_FILE [--runs N] [--batch N] [--threads N]
import BLAS
import Embedder
import Foundation

var arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: Int, in arguments: inout [String]) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let value = Int(arguments[index + 1]) else {
        return fallback
    }
    arguments.removeSubrange(index...index + 1)
    return value
}
let runs = option("--runs", 5, in: &arguments)
let batch = option("--batch", 32, in: &arguments)
let threads = option("--threads", 2, in: &arguments)
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: embed-bench MODEL_FOLDER TEXTS_FILE [--runs N] [--batch N] [--threads N]\n".utf8))
    exit(2)
}
let blas = try BLAS.shared()
blas.setThreads(threads)
let model = try SentenceTransformer(folder: URL(fileURLWithPath: arguments[0]), batchSize: batch)
let texts = try String(contentsOfFile: arguments[1], encoding: .utf8).split(separator: "\n").map(String.init)
_ = try model.embed(Array(texts.prefix(64)))  // warm-up, as the peer does
var seconds: [Double] = []
var tokens = 0
for _ in 0..<runs {
    let start = DispatchTime.now().uptimeNanoseconds
    let embeddings = try model.embed(texts)
    seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    tokens = embeddings.reduce(0) { $0 + $1.tokenCount }
}
let kernel = blas.kernel
let result: [String: Any] = [
    "texts": texts.count, "tokens": tokens, "batch": batch, "threads": threads, "seconds": seconds,
    "blas_core": kernel.core, "blas_choice": kernel.choice,
]
print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
