@_exported import Embedder
