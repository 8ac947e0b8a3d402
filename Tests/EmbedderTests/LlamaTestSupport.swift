import Foundation
import TestSupport
import XCTest

/// Fixture and model lookup shared by the GGUF/Quant/BPE/Llama tests.
enum LlamaTestSupport {
    /// A reference JSON copied into Fixtures/ (never read from /work/shared at run time).
    static func fixture(_ name: String) throws -> Any {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
            throw FixtureMissing(name: name)
        }
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    }

    struct FixtureMissing: Error, CustomStringConvertible {
        let name: String
        var description: String { "fixture \(name).json missing from the test bundle" }
    }

    struct ModelMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "SmolLM2 GGUF not found at \(path): run `vecdb models pull smollm2` (or set VECDB_MODELS)" }
    }

    /// `$VECDB_MODELS/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf`, default folder `~/.cache/vecdb/models`.
    /// A missing model fails the test (it is never skipped).
    static func smolLM2URL(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let env = ProcessInfo.processInfo.environment["VECDB_MODELS"]
        let root = (env?.isEmpty == false) ? URL(fileURLWithPath: env!)
            : FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/vecdb/models")
        let url = root.appendingPathComponent("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        guard FileManager.default.fileExists(atPath: url.path) else {
            let e = ModelMissing(path: url.path)
            XCTFail(e.description, file: file, line: line)
            throw e
        }
        return url
    }

    static func cosine(_ a: [Float], _ b: [Double]) -> Double {
        precondition(a.count == b.count)
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in 0..<a.count {
            dot += Double(a[i]) * b[i]
            na += Double(a[i]) * Double(a[i])
            nb += b[i] * b[i]
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double { cosine(a, b.map(Double.init)) }
}
