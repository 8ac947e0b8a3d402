import LMDB

extension Snapshot {
    /// `vecdb check` for adapters: each decodes, and its collection exists with the adapter's output length and the
    /// hash of exactly these weights (else its vectors came from other weights).
    func adapterProblems() throws -> [String] {
        var problems: [String] = []
        try txn.forEach(tables.adapters) { key, value in
            let name = String(decoding: key, as: UTF8.self)
            guard let (record, weights) = StoredAdapter.decode(value), record.name == name else {
                problems.append("adapters: '\(name)' does not decode")
                return true
            }
            guard let collection = catalogue[name] else {
                problems.append("adapters: '\(name)' has no collection")
                return true
            }
            if collection.dimensions != record.shape.output {
                problems.append("adapters: '\(name)' makes \(record.shape.output) dimensions, its collection holds \(collection.dimensions)")
            }
            if collection.weightsSHA256 != StoredAdapter.weightsSHA256(base: record.base, adapter: weights) {
                problems.append("adapters: collection '\(name)' was filled by other weights than the stored adapter's")
            }
            return true
        }
        return problems
    }
}
