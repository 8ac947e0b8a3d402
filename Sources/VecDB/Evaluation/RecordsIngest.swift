import Foundation

extension VectorDatabase {
    /// Ingests in-memory records, exactly as `ingest(from:)` ingests a JSON Lines file (same deduplication by
    /// external id, same batches and commits); `BatchCommit.totalLines` is the record count.
    ///
    /// `InputReader` reads files, so the records pass through a private temporary JSONL file (mode 0600, removed
    /// afterwards) rather than a second ingest path that could drift from the first.
    public func ingest(
        records: [IngestRecord], model: any EmbeddingModel, reference: ModelReference, collectionName: String? = nil,
        batchSize: Int = 256, onCommit: (BatchCommit) -> Void = { _ in }
    ) throws -> IngestSummary {
        var data = Data()
        for record in records {
            var object: [String: Any] = [:]
            if let metadata = record.metadataJSON {
                guard let fields = try JSONSerialization.jsonObject(with: Data(metadata.utf8)) as? [String: Any] else {
                    throw VecDBError("record \(record.line): metadata is not a JSON object")
                }
                object = fields
            }
            object["text"] = record.text
            if let id = record.externalID { object["id"] = id }
            data += try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            data += Data("\n".utf8)
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vecdb-records-\(UUID().uuidString).jsonl")
        guard FileManager.default.createFile(atPath: file.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw VecDBError("cannot write a temporary file in \(FileManager.default.temporaryDirectory.path)")
        }
        defer { try? FileManager.default.removeItem(at: file) }
        let input = try InputReader(path: file.path, format: .jsonl)
        try input.validateAll()
        return try ingest(from: input, model: model, reference: reference, collectionName: collectionName,
                          batchSize: batchSize, onCommit: onCommit)
    }
}
