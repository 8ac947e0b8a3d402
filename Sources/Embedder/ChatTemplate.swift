/// A chat template vecdb can render without a Jinja engine.
///
/// GGUF files carry `tokenizer.chat_template` as Jinja source. Evaluating arbitrary Jinja is out of scope, so
/// the source is compared byte for byte with the templates vecdb knows, and only those are rendered (by hand,
/// producing exactly what the Jinja would). Anything else throws `ChatTemplateError.unsupported`.
public struct ChatTemplate: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// SmolLM2's ChatML: a default system message when none is given, `<|im_start|>role\ncontent<|im_end|>\n`
        /// per message, and `<|im_start|>assistant\n` as the generation prompt.
        case smolLM2ChatML
    }

    public let kind: Kind

    /// SmolLM2-Instruct's template source, as its GGUF stores it.
    public static let smolLM2Source = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"

    /// The system message SmolLM2's template inserts when the conversation has none.
    public static let smolLM2DefaultSystem = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

    /// Recognises `source`; throws when it is not a known template.
    public init(source: String) throws {
        // Compare UTF-8 bytes: String == would accept canonically equivalent but different sources.
        guard Array(source.utf8) == Array(Self.smolLM2Source.utf8) else {
            throw ChatTemplateError.unsupported(prefix: String(source.unicodeScalars.prefix(80)))
        }
        kind = .smolLM2ChatML
    }

    /// The template of a GGUF file (`tokenizer.chat_template`).
    public init(gguf: GGUFFile) throws {
        guard let source = gguf["tokenizer.chat_template"]?.stringValue else {
            throw ChatTemplateError.missing(file: gguf.name)
        }
        try self.init(source: source)
    }

    /// One user message with the default system message, optionally followed by the generation prompt.
    public func render(user content: String, addGenerationPrompt: Bool) -> String {
        switch kind {
        case .smolLM2ChatML:
            var s = "<|im_start|>system\n" + Self.smolLM2DefaultSystem + "<|im_end|>\n"
            s += "<|im_start|>user\n" + content + "<|im_end|>\n"
            if addGenerationPrompt { s += "<|im_start|>assistant\n" }
            return s
        }
    }

    /// Text the generation prompt appends (`render(addGenerationPrompt: true)` = `render(false)` + this).
    public var generationPrompt: String {
        switch kind {
        case .smolLM2ChatML: return "<|im_start|>assistant\n"
        }
    }
}

public enum ChatTemplateError: Error, CustomStringConvertible, Sendable {
    case unsupported(prefix: String)
    case missing(file: String)

    public var description: String {
        switch self {
        case .unsupported(let prefix):
            return "unsupported chat template (only SmolLM2's ChatML is recognised; Jinja is not evaluated): \(prefix.debugDescription)…"
        case .missing(let file):
            return "\(file): no tokenizer.chat_template in the GGUF metadata"
        }
    }
}
