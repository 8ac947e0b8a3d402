import Foundation

/// A stored document: its text once, whatever vector spaces index it.
public struct Document: Sendable, Equatable {
    /// Dense integer id, assigned in ingest order and never reused.
    public var id: UInt64
    /// The text as ingested (line endings removed).
    public var text: String
    /// The caller's id from a JSONL `id` field, or nil for documents deduplicated by content.
    public var externalID: String?
    /// Extra JSONL fields as a JSON object (sorted keys), or nil.
    public var metadataJSON: String?

    public init(id: UInt64, text: String, externalID: String?, metadataJSON: String?) {
        self.id = id
        self.text = text
        self.externalID = externalID
        self.metadataJSON = metadataJSON
    }

    /// The `keys` entry that finds this document again: the external id, or a hash of the text.
    var dedupKey: [UInt8] { Document.dedupKey(text: text, externalID: externalID) }

    static func dedupKey(text: String, externalID: String?) -> [UInt8] {
        if let externalID { return Array("id:".utf8) + Array(externalID.utf8) }
        return Array("sha256:".utf8) + Array(SHA256.hex(text.utf8).utf8)
    }

    /// Value layout: u8 record version (1) · u32 text length · text · u32 external-id length + 1 (0 = none) ·
    /// external id · metadata JSON (the rest, empty for none). All UTF-8, lengths little-endian.
    func encoded() -> [UInt8] {
        let textBytes = Array(text.utf8)
        var out: [UInt8] = [1]
        out += Layout.littleEndian(UInt32(textBytes.count))
        out += textBytes
        if let externalID {
            let idBytes = Array(externalID.utf8)
            out += Layout.littleEndian(UInt32(idBytes.count + 1))
            out += idBytes
        } else {
            out += Layout.littleEndian(UInt32(0))
        }
        if let metadataJSON { out += Array(metadataJSON.utf8) }
        return out
    }

    /// Decodes a `documents` value; nil when it is not a valid record (reported by `check`).
    static func decode(id: UInt64, _ bytes: UnsafeRawBufferPointer) -> Document? {
        guard bytes.count >= 9, bytes[0] == 1 else { return nil }
        func u32(at offset: Int) -> Int? {
            guard offset + 4 <= bytes.count else { return nil }
            return Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        }
        func string(_ range: Range<Int>) -> String? {
            guard range.upperBound <= bytes.count else { return nil }
            return String(validating: bytes[range], as: UTF8.self)
        }
        guard let textLength = u32(at: 1), let text = string(5..<5 + textLength),
              let idField = u32(at: 5 + textLength) else { return nil }
        var offset = 9 + textLength
        var externalID: String?
        if idField > 0 {
            guard let id = string(offset..<offset + idField - 1) else { return nil }
            externalID = id
            offset += idField - 1
        }
        var metadata: String?
        if offset < bytes.count {
            guard let json = string(offset..<bytes.count) else { return nil }
            metadata = json
        }
        return Document(id: id, text: text, externalID: externalID, metadataJSON: metadata)
    }
}
