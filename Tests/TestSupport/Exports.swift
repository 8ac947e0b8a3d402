// The tests draw their data from the same seeded generator the product uses for training.
@_exported import SeededRandom
