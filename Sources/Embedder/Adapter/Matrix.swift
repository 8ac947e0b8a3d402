import BLAS

/// A row-major float matrix for the adapter's maths. Products go through OpenBLAS's sgemm; the pointers stay here.
struct Matrix: Equatable {
    var rows: Int
    var columns: Int
    var values: [Float]

    init(rows: Int, columns: Int, repeating value: Float = 0) {
        self.rows = rows
        self.columns = columns
        values = [Float](repeating: value, count: rows * columns)
    }

    init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "matrix of \(rows)×\(columns) given \(values.count) values")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// Stacks equal-length vectors as rows.
    init(stacking vectors: [[Float]], columns: Int) {
        var values: [Float] = []
        values.reserveCapacity(vectors.count * columns)
        for vector in vectors {
            precondition(vector.count == columns, "a row of \(vector.count) values in a \(columns)-column matrix")
            values += vector
        }
        self.init(rows: vectors.count, columns: columns, values: values)
    }

    subscript(row: Int, column: Int) -> Float {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    func row(_ index: Int) -> ArraySlice<Float> { values[index * columns..<(index + 1) * columns] }

    var rowArrays: [[Float]] { (0..<rows).map { Array(row($0)) } }

    /// op(a) · op(b), with op the transpose when asked.
    static func product(_ a: Matrix, _ b: Matrix, transposeA transA: Bool = false, transposeB transB: Bool = false,
                        blas: BLAS) -> Matrix {
        let m = transA ? a.columns : a.rows
        let n = transB ? b.rows : b.columns
        var c = Matrix(rows: m, columns: n)
        c.addProduct(a, b, transposeA: transA, transposeB: transB, scale: 1, blas: blas)
        return c
    }

    /// self += scale · op(a) · op(b).
    mutating func addProduct(_ a: Matrix, _ b: Matrix, transposeA transA: Bool = false, transposeB transB: Bool = false,
                             scale: Float, blas: BLAS) {
        let m = transA ? a.columns : a.rows
        let k = transA ? a.rows : a.columns
        let n = transB ? b.rows : b.columns
        precondition(m == rows && n == columns && k == (transB ? b.columns : b.rows), "matrix shapes do not match")
        guard m > 0, n > 0 else { return }
        guard k > 0 else { return }
        let outputColumns = columns
        a.values.withUnsafeBufferPointer { pa in
            b.values.withUnsafeBufferPointer { pb in
                values.withUnsafeMutableBufferPointer { pc in
                    blas.sgemm(transA ? .transposed : .none, transB ? .transposed : .none, m: m, n: n, k: k, alpha: scale,
                               a: pa.baseAddress!, lda: a.columns, b: pb.baseAddress!, ldb: b.columns, beta: 1,
                               c: pc.baseAddress!, ldc: outputColumns)
                }
            }
        }
    }
}
