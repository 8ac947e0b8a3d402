// Embedding throughput of vecdb's Swift pipeline (tokenizer + BERT + pooling) on a file of texts, one text per line:
// the same work sentence-transformers' `encode` does, model loading excluded.
// Usage: embed-bench MODEL_FOLDER TEXTS_FILE [--runs N] [--batch N] [--threads N] [--precision f32|bf16|int8]
//                    [--vectors OUT.f32] [--latency]
// --vectors writes the last run's vectors (float32 LE, row-major, input order); --latency embeds each text alone and
// reports the median and p90 milliseconds per text.
import BLAS
import Embedder
import Foundation

var arguments = Array(CommandLine.arguments.dropFirst())
func value(_ name: String, in arguments: inout [String]) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    defer { arguments.removeSubrange(index...index + 1) }
    return arguments[index + 1]
}
func flag(_ name: String, in arguments: inout [String]) -> Bool {
    guard let index = arguments.firstIndex(of: name) else { return false }
    arguments.remove(at: index)
    return true
}
let usage = "usage: embed-bench MODEL_FOLDER TEXTS_FILE [--runs N] [--batch N] [--threads N] [--precision f32|bf16|int8] "
    + "[--vectors OUT.f32] [--latency]\n"
let runs = value("--runs", in: &arguments).flatMap { Int($0) } ?? 5
let batch = value("--batch", in: &arguments).flatMap { Int($0) } ?? 32
let threads = value("--threads", in: &arguments).flatMap { Int($0) } ?? 2
let precisionName = value("--precision", in: &arguments) ?? "f32"
let vectorsPath = value("--vectors", in: &arguments)
let latency = flag("--latency", in: &arguments)
guard arguments.count == 2, let precision = Precision(rawValue: precisionName) else {
    FileHandle.standardError.write(Data(usage.utf8))
    exit(2)
}
let blas = try BLAS.shared()
blas.setThreads(threads)
let model = try SentenceTransformer(folder: URL(fileURLWithPath: arguments[0]), batchSize: latency ? 1 : batch,
                                    precision: precision)
let texts = try String(contentsOfFile: arguments[1], encoding: .utf8).split(separator: "\n").map(String.init)
_ = try model.embed(Array(texts.prefix(64)))  // warm-up, as the peer does

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
var result: [String: Any] = [
    "texts": texts.count, "batch": latency ? 1 : batch, "threads": threads, "precision": precision.rawValue,
    "kernel": precision.kernelName, "blas_core": blas.kernel.core, "blas_choice": blas.kernel.choice,
]
var last: [Embedding] = []
if latency {
    var milliseconds: [Double] = []
    for text in texts {
        let start = now()
        last.append(try model.embed([text])[0])
        milliseconds.append((now() - start) * 1000)
    }
    milliseconds.sort()
    result["latency_ms"] = ["median": milliseconds[milliseconds.count / 2], "p90": milliseconds[milliseconds.count * 9 / 10]]
} else {
    var seconds: [Double] = []
    for _ in 0..<runs {
        let start = now()
        last = try model.embed(texts)
        seconds.append(now() - start)
    }
    result["seconds"] = seconds
    result["tokens"] = last.reduce(0) { $0 + $1.tokenCount }
}
if let vectorsPath {
    let floats = last.flatMap(\.vector)
    try floats.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: vectorsPath))
}
print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
