import Foundation
import XCTest

/// Reference JSON copied into Fixtures/ (see Fixtures/README.md); never read from /work/shared at run time.
func fixture(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil) else {
        XCTFail("fixture \(name) missing from the test bundle", file: file, line: line)
        throw XCTSkip("fixture missing")
    }
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    return try XCTUnwrap(object as? [String: Any], file: file, line: line)
}

/// The MiniLM folder under `$VECDB_MODELS` (default `~/.cache/vecdb/models`). Missing model = failure, not skip:
/// a green run must mean the model was actually checked.
func miniLMFolder(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
    let root = ProcessInfo.processInfo.environment["VECDB_MODELS"].map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/vecdb/models")
    let folder = root.appendingPathComponent("minilm")
    guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) else {
        XCTFail("all-MiniLM-L6-v2 not found at \(folder.path): run `vecdb models pull minilm` (or set VECDB_MODELS)",
                file: file, line: line)
        throw MissingModel()
    }
    return folder
}

struct MissingModel: Error {}

func int32s(_ value: Any?) -> [Int32]? {
    (value as? [Any])?.compactMap { ($0 as? NSNumber).map { Int32(truncating: $0) } }
}

func floats(_ value: Any?) -> [Float]? {
    (value as? [Any])?.compactMap { ($0 as? NSNumber).map { Float(truncating: $0) } }
}
