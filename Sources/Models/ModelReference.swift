import Embedder
import Foundation
import VecDB

/// A model named on the command line, resolved to files: a catalogue name (`minilm`) installed in the model
/// cache, or a path to a sentence-transformers / Hugging Face folder or a `.gguf` file; either with an optional
/// `@PRECISION` suffix (`minilm@int8`) naming the arithmetic its linear layers run in.
public struct ModelReference: Sendable {
    /// What the user wrote (with the precision suffix, when not f32).
    public var given: String
    /// The arithmetic of the model's linear layers (f32 unless a suffix or `--precision` says otherwise).
    public private(set) var precision: Precision = .f32
    /// The default collection name for vectors of this model.
    public var collectionName: String
    public var kind: ModelSpec.Kind
    /// The folder (sentence-transformers) or the file (GGUF) to load.
    public var location: URL
    public var weightsFile: URL
    /// sha256 of the weights file, or for another precision than f32 of that hash's hex and "@PRECISION" (UTF-8), so
    /// that vectors of two precisions are refused beside each other like those of two models.
    public var weightsSHA256: String

    /// Resolves `nameOrPath`, optionally ending in `@f32`, `@bf16` or `@int8`. A name that is not a path must be in
    /// the catalogue and installed.
    public init(_ nameOrPath: String, store: ModelStore) throws {
        var name = nameOrPath, precision = Precision.f32
        if let marker = nameOrPath.lastIndex(of: "@"),
           let suffix = Precision(rawValue: String(nameOrPath[nameOrPath.index(after: marker)...])) {
            name = String(nameOrPath[..<marker])
            precision = suffix
        }
        self = try ModelReference(resolving: name, store: store).at(precision)
    }

    /// The model at f32.
    private init(resolving nameOrPath: String, store: ModelStore) throws {
        given = nameOrPath
        let fm = FileManager.default
        if let spec = ModelCatalog.spec(named: nameOrPath) {
            guard let manifest = store.installedManifest(spec) else {
                throw ModelError.notInstalled(name: spec.name, cache: store.root.path)
            }
            let folder = store.folder(for: spec)
            collectionName = spec.name
            kind = spec.kind
            weightsFile = folder.appendingPathComponent(manifest.weightsFile)
            location = spec.kind == .gguf ? weightsFile : folder
            weightsSHA256 = manifest.weightsSHA256
            return
        }
        var isDirectory: ObjCBool = false
        guard nameOrPath.contains("/") || fm.fileExists(atPath: nameOrPath, isDirectory: &isDirectory) else {
            throw ModelError.unknown(name: nameOrPath, known: ModelCatalog.all.map(\.name))
        }
        let url = URL(fileURLWithPath: nameOrPath).standardizedFileURL
        guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelError.invalidPath(path: nameOrPath, reason: "does not exist")
        }
        if isDirectory.boolValue {
            let weights = url.appendingPathComponent("model.safetensors")
            guard fm.fileExists(atPath: weights.path) else {
                throw ModelError.invalidPath(path: nameOrPath, reason: "no model.safetensors in this folder (expected a sentence-transformers or Hugging Face BERT folder)")
            }
            kind = .sentenceTransformer
            location = url
            weightsFile = weights
        } else {
            guard url.pathExtension.lowercased() == "gguf" else {
                throw ModelError.invalidPath(path: nameOrPath, reason: "a model file must be .gguf; for safetensors give the model's folder")
            }
            kind = .gguf
            location = url
            weightsFile = url
        }
        collectionName = ModelReference.collectionName(from: url)
        weightsSHA256 = try SHA256.hex(fileAt: weightsFile)
    }

    /// This f32 model at `precision`: its name, default collection and weights hash carry the precision unless it is
    /// f32.
    public func at(_ precision: Precision) -> ModelReference {
        precondition(self.precision == .f32, "a precision is chosen once")
        guard precision != .f32 else { return self }
        var reference = self
        reference.precision = precision
        reference.given += "@" + precision.rawValue
        reference.collectionName += "@" + precision.rawValue
        reference.weightsSHA256 = SHA256.hex(Array("\(weightsSHA256)@\(precision.rawValue)".utf8))
        return reference
    }

    /// A collection name from a path: the file or folder name without extension, lower-cased, with anything but
    /// letters, digits, '-', '_' and '.' turned into '-'.
    static func collectionName(from url: URL) -> String {
        let base = url.deletingPathExtension().lastPathComponent.lowercased()
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_.".unicodeScalars)
        return String(String.UnicodeScalarView(base.unicodeScalars.map { allowed.contains($0) ? $0 : "-" }))
    }
}
