import Embedder
import Foundation
import VecDB

/// A parser or tokenizer under fuzz. `run` feeds it one input and checks what must hold for every input: it
/// returns or throws a one-line error, and what it returns is consistent. Crashes, hangs and runaway memory are
/// caught by the caller (the fuzz driver or the test), which owns the clock and the process.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `SafetensorsFile` on the bytes as a file, then every float tensor read.
    case safetensors
    /// `GGUFFile` on the bytes, every tensor dequantised, `LlamaConfig` and `BPETokenizer(gguf:)` built.
    case gguf
    /// `BPETokenizer(tokenizerJSON:)` on the bytes as a file, then a sample text encoded.
    case bpeJSON = "bpe-json"
    /// `WordPieceTokenizer(tokenizerJSON:)` on the bytes as a file, then a sample text encoded.
    case wordPieceJSON = "wordpiece-json"
    /// `InputReader` over the bytes as a JSON Lines file, then as a text file.
    case jsonl
    /// MiniLM's WordPiece tokenizer on the bytes as text.
    case wordPiece = "wordpiece"
    /// SmolLM2's byte-level BPE on the bytes as text (and as UTF-8, which may be invalid).
    case bpe

    /// What one input did.
    public enum Outcome: Equatable, Sendable {
        case accepted
        case rejected(String)
    }

    /// Tensors above this many values are validated but not read: the fuzzer looks for bad offsets, not for
    /// ways to spend memory on a header that honestly declares a large tensor backed by the file.
    static let readLimit = 1 << 20

    /// Text encoded by tokenizers that a fuzzed tokenizer.json or GGUF produced.
    static let sample = "Hello, y'all! [CLS] <|im_start|>Ελληνικά مرحبا école 333 😶‍🌫️ \t\n  x"

    /// Runs one input. Throws `FuzzFailure` when an invariant breaks; parser errors are `.rejected`.
    public func run(_ input: [UInt8], in context: FuzzContext) throws -> Outcome {
        do {
            switch self {
            case .safetensors: try safetensors(input, context)
            case .gguf: try gguf(input)
            case .bpeJSON: try bpeJSON(input, context)
            case .wordPieceJSON: try wordPieceJSON(input, context)
            case .jsonl: try jsonl(input, context)
            case .wordPiece: try wordPiece(input, context)
            case .bpe: try bpe(input, context)
            }
            return .accepted
        } catch let failure as FuzzFailure {
            throw failure
        } catch {
            let message = "\(error)"
            // A rejection is for a person reading a terminal: one line, and not empty.
            guard !message.isEmpty, !message.contains("\n") else {
                throw FuzzFailure("\(rawValue): error is not one line: \(message.debugDescription)")
            }
            return .rejected(message)
        }
    }

    private func safetensors(_ input: [UInt8], _ context: FuzzContext) throws {
        let file = try SafetensorsFile(url: context.write(input, as: "model.safetensors"))
        for (name, info) in file.tensors where info.elementCount <= Self.readLimit {
            guard [.f32, .f16, .bf16].contains(info.dtype) else { continue }
            let values = try file.floats(name)
            guard values.count == info.elementCount else {
                throw FuzzFailure("safetensors: '\(name)' read \(values.count) values, shape says \(info.elementCount)")
            }
        }
    }

    private func gguf(_ input: [UInt8]) throws {
        let file = try GGUFFile(bytes: input, name: "fuzz.gguf")
        for tensor in file.tensors where tensor.elementCount <= Self.readLimit {
            let values = try file.dequantize(tensor)
            guard values.count == tensor.elementCount else {
                throw FuzzFailure("gguf: '\(tensor.name)' dequantised to \(values.count) values, dims say \(tensor.elementCount)")
            }
        }
        // Each consumer of the metadata may reject the file; none may crash on it.
        _ = try? LlamaConfig(gguf: file)
        try Self.checkEncodes(BPETokenizer(gguf: file), target: self)
    }

    private func bpeJSON(_ input: [UInt8], _ context: FuzzContext) throws {
        try Self.checkEncodes(BPETokenizer(tokenizerJSON: context.write(input, as: "tokenizer.json")), target: self)
    }

    private func wordPieceJSON(_ input: [UInt8], _ context: FuzzContext) throws {
        let tokenizer = try WordPieceTokenizer(tokenizerJSON: context.write(input, as: "tokenizer.json"))
        try Self.checkWordPiece(tokenizer, Self.sample, target: self)
    }

    private func jsonl(_ input: [UInt8], _ context: FuzzContext) throws {
        let url = context.write(input, as: "input.jsonl")
        // As text first (anything goes but NUL bytes and bad UTF-8), then as JSON Lines, whose error is the outcome.
        var rejection: Error?
        for format in [InputReader.Format.text, .jsonl] {
            let reader = try InputReader(path: url.path, format: format)
            do {
                try reader.validateAll()
            } catch {
                // The error must point at a line of this file (or at the file, when it has no line at all).
                guard "\(error)".hasPrefix("\(url.path):") else {
                    throw FuzzFailure("jsonl: error does not name the file: \(error)")
                }
                rejection = error
                continue
            }
            while let record = try reader.next() {
                guard !record.text.isEmpty, record.line >= 1, record.line <= reader.lineNumber else {
                    throw FuzzFailure("jsonl: record at line \(record.line) of \(reader.lineNumber) has text \(record.text.debugDescription)")
                }
            }
        }
        if let rejection { throw rejection }
    }

    private func wordPiece(_ input: [UInt8], _ context: FuzzContext) throws {
        try Self.checkWordPiece(context.wordPiece, String(decoding: input, as: UTF8.self), target: self)
    }

    private func bpe(_ input: [UInt8], _ context: FuzzContext) throws {
        try Self.checkRoundTrip(context.bpe, String(decoding: input, as: UTF8.self), target: self)
        if String(validating: input, as: UTF8.self) == nil {
            guard (try? context.bpe.encode(utf8: input)) == nil else {
                throw FuzzFailure("bpe: invalid UTF-8 was encoded instead of rejected")
            }
        }
    }

    /// `[CLS] … [SEP]` within the limit, every id in the vocabulary.
    static func checkWordPiece(_ tokenizer: WordPieceTokenizer, _ text: String, target: FuzzTarget) throws {
        let encoded = tokenizer.encode(text, maxTokens: 256)
        guard encoded.ids.first == tokenizer.clsID, encoded.ids.last == tokenizer.sepID, encoded.ids.count <= 256,
              encoded.ids.allSatisfy({ $0 >= 0 && Int($0) < tokenizer.vocabularySize }) else {
            throw FuzzFailure("\(target.rawValue): \(text.debugDescription) encoded to \(encoded.ids)")
        }
    }

    /// A tokenizer built from a fuzzed file encodes the sample to ids of its vocabulary. (Decoding may fail on
    /// such a vocabulary, e.g. a merge whose result is a control token, and that is not a fault of the reader.)
    static func checkEncodes(_ tokenizer: BPETokenizer, target: FuzzTarget) throws {
        let ids = tokenizer.encode(sample)
        guard ids.allSatisfy({ $0 >= 0 && Int($0) < tokenizer.vocabularySize }) else {
            throw FuzzFailure("\(target.rawValue): ids outside the vocabulary of \(tokenizer.vocabularySize): \(ids)")
        }
        _ = try? tokenizer.decode(ids)
    }

    /// Byte-level BPE loses nothing but the bytes its vocabulary lacks: decoding gives the text back.
    static func checkRoundTrip(_ tokenizer: BPETokenizer, _ text: String, target: FuzzTarget) throws {
        let ids = tokenizer.encode(text)
        let dropped = Set(tokenizer.droppedBytes)
        let expected = Array(text.utf8).filter { !dropped.contains($0) }
        let decoded: [UInt8]
        do {
            decoded = try tokenizer.decode(ids)
        } catch {
            throw FuzzFailure("\(target.rawValue): ids of \(text.debugDescription) do not decode: \(error)")
        }
        guard decoded == expected else {
            throw FuzzFailure("\(target.rawValue): \(text.debugDescription) decodes to \(String(decoding: decoded, as: UTF8.self).debugDescription)")
        }
    }
}

/// An invariant a fuzz input broke (as opposed to a parser rejecting the input, which is fine).
public struct FuzzFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
