import BLAS
import Kernels

/// One linear layer's weight matrix W (`outputs` × `inputs`, PyTorch's row-major `[out, in]`), held in the precision the
/// model runs at: packed for the int8 / bf16 products, packed float32 where this CPU has an AVX-512 float32 product
/// (twice the width of the Haswell kernel OpenBLAS may be held to), else float32 for OpenBLAS's sgemm.
final class LinearWeights: @unchecked Sendable {
    let outputs: Int
    let inputs: Int
    private let float32: FloatBuffer?
    private let packed: PackedMatrix?

    init(_ values: [Float], outputs: Int, inputs: Int, precision: Precision) {
        precondition(values.count == outputs * inputs)
        self.outputs = outputs
        self.inputs = inputs
        if let format = precision.packedFormat ?? (Precision.packsFloat32 ? .f32 : nil) {
            packed = PackedMatrix(values, outputs: outputs, inputs: inputs, format: format)
            float32 = nil
        } else {
            float32 = FloatBuffer(values)
            packed = nil
        }
    }

    /// Bytes this matrix holds in memory.
    var bytes: Int { packed?.packedBytes ?? outputs * inputs * 4 }

    /// y += x · Wᵀ (or y = x · Wᵀ when `accumulate` is false) for `rows` rows, x and y dense (`inputs` and `outputs`
    /// floats per row). The packed products split W's channels between `workers` threads; sgemm threads itself.
    func apply(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool, blas: BLAS,
               scratch: PackedMatrix.Activations, workers: Int) {
        if let float32 {
            blas.sgemm(.none, .transposed, m: rows, n: outputs, k: inputs, a: x, lda: inputs, b: float32.pointer,
                       ldb: inputs, beta: accumulate ? 1 : 0, c: y, ldc: outputs)
            return
        }
        if !accumulate { y.update(repeating: 0, count: rows * outputs) }
        packed!.multiplyAdd(x, rows: rows, xStride: inputs, into: y, yStride: outputs, scratch: scratch, workers: workers)
    }
}
