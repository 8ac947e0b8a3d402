/// The embedding models are part of the VecDB API (`ModelReference.load()` returns one).
@_exported import Embedder
