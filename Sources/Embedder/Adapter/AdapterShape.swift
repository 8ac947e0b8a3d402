/// The layers of a `ProjectionAdapter`: linear (`hidden == 0`), or input → hidden (ReLU) → output.
public struct AdapterShape: Codable, Sendable, Equatable {
    /// Dimensions of the frozen model's vectors.
    public var input: Int
    /// Width of the hidden layer; 0 for a single linear map.
    public var hidden: Int
    /// Dimensions of the adapted vectors.
    public var output: Int

    public init(input: Int, hidden: Int = 0, output: Int) {
        self.input = input
        self.hidden = hidden
        self.output = output
    }

    var isLinear: Bool { hidden == 0 }
    /// Rows of the first weight matrix: the output for a linear adapter, else the hidden layer.
    var firstRows: Int { isLinear ? output : hidden }

    /// Parameters in order: W1 (firstRows × input, row-major), then for two layers b1 (hidden) and W2 (output × hidden).
    public var parameterCount: Int { isLinear ? output * input : hidden * input + hidden + output * hidden }
    var w1Range: Range<Int> { 0..<firstRows * input }
    var b1Range: Range<Int> { w1Range.upperBound..<w1Range.upperBound + hidden }
    var w2Range: Range<Int> { b1Range.upperBound..<b1Range.upperBound + output * hidden }
}
