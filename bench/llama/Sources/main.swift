// Forward-pass throughput of vecdb's SmolLM2 (Llama) on a file of texts, one per line: each text in the chat
// template without generation prompt, batches of --batch, final-norm hidden states only (no pooling, no LM
// head), as the transformers peer does. Tokenisation happens once, outside the timed region. `cpu_seconds` (user +
// system time of all threads per pass) shows how much of the wall time the process actually ran on a shared machine.
// Usage: llama-bench GGUF TEXTS_FILE [--runs N] [--batch N] [--threads N] [--precision f32|bf16|int8]
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
let batch = option("--batch", 16, in: &arguments)
let threads = option("--threads", 2, in: &arguments)
var precision = Precision.f32
if let index = arguments.firstIndex(of: "--precision"), index + 1 < arguments.count, let chosen = Precision(rawValue: arguments[index + 1]) {
    precision = chosen
    arguments.removeSubrange(index...index + 1)
}
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: llama-bench GGUF TEXTS_FILE [--runs N] [--batch N] [--threads N] [--precision f32|bf16|int8]\n".utf8))
    exit(2)
}
let blas = try BLAS.shared()
blas.setThreads(threads)
let embedder = try LlamaEmbedder(ggufFile: URL(fileURLWithPath: arguments[0]), pooling: .last, prompt: .chat, batchSize: batch,
                                 precision: precision)
let texts = try String(contentsOfFile: arguments[1], encoding: .utf8).split(separator: "\n").map(String.init)
let ids = try texts.map { try embedder.tokenize($0, prompt: .chat).ids }
let tokens = ids.reduce(0) { $0 + $1.count }
/// User + system CPU seconds of this process so far (all threads).
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}
/// One pass over all texts: (wall seconds, CPU seconds).
@MainActor func pass() throws -> (Double, Double) {
    let cpu = cpuSeconds()
    let start = DispatchTime.now().uptimeNanoseconds
    for b in stride(from: 0, to: ids.count, by: batch) {
        _ = try embedder.model.forward(Array(ids[b..<min(ids.count, b + batch)]))
    }
    return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, cpuSeconds() - cpu)
}
_ = try pass()   // warm-up (page faults, OpenBLAS thread start)
var seconds: [Double] = [], cpu: [Double] = []
for _ in 0..<runs {
    let (wall, used) = try pass()
    seconds.append(wall)
    cpu.append(used)
}
let kernel = blas.kernel
let result: [String: Any] = [
    "texts": texts.count, "tokens": tokens, "batch": batch, "threads": kernel.threads, "seconds": seconds, "cpu_seconds": cpu,
    "blas_core": kernel.core, "blas_choice": kernel.choice, "precision": precision.rawValue, "kernel": precision.kernelName,
    "weight_bytes": embedder.model.weightBytes,
]
print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
