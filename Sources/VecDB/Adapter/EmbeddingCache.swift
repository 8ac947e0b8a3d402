import Embedder
import Foundation
import LMDB

extension VectorDatabase {
    /// Vectors of `texts` in `embedder`'s single space, from the `embedding_cache` table where present; the rest are
    /// embedded in batches of `batchSize` and cached (one transaction per batch), so training again embeds nothing.
    ///
    /// The cache key is sha256 of the space (weights hash, pooling, prompt, token limit) and the text's bytes: a
    /// different model or setting never finds another's vector.
    public func cachedEmbeddings(_ texts: [String], embedder: SpaceEmbedding, batchSize: Int = 32,
                          progress: (_ done: Int, _ total: Int) -> Void) throws -> [[Float]] {
        let space = embedder.spaces[0]
        let spaceKey = "\(space.weightsSHA256)\u{0}\(space.pooling)\u{0}\(space.prompt)\u{0}\(space.maxTokens)\u{0}"
        let keys = texts.map { text -> [UInt8] in
            var hasher = SHA256()
            hasher.update(Array(spaceKey.utf8) + Array(text.utf8))
            return hasher.finalize()
        }
        var vectors = try read { snapshot in
            try keys.map { key in
                try snapshot.txn.withValue(tables.embeddingCache, key: key) { raw -> [Float]? in
                    guard let raw, raw.count == space.dimensions * 4 else { return nil }
                    return Layout.floats(raw)
                }
            }
        }
        let missing = vectors.indices.filter { vectors[$0] == nil }
        progress(texts.count - missing.count, texts.count)
        for start in stride(from: 0, to: missing.count, by: batchSize) {
            let positions = Array(missing[start..<min(start + batchSize, missing.count)])
            let embedded = try embedder.embed(positions.map { texts[$0] })[0]
            try write { batch in
                for (index, embedding) in zip(positions, embedded) {
                    try batch.txn.putAppendingWhenLast(tables.embeddingCache, key: keys[index], floats: embedding.vector)
                    vectors[index] = embedding.vector
                }
            }
            progress(texts.count - missing.count + start + positions.count, texts.count)
        }
        return vectors.map { $0! }
    }
}
