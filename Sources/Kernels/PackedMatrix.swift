import CKernels
import Dispatch

/// A weight matrix converted once, at load, for the reduced-precision products y += x · Wᵀ that the embedding models'
/// linear layers run on: int8 codes per output channel (VPDPBUSD), bf16 (VDPBF16PS) or float32, packed in panels of 16
/// channels (docs/KERNELS.md). The float weights are not kept.
///
/// Immutable after `init`, so one matrix serves any number of threads; each caller brings its own `Activations`.
public final class PackedMatrix: @unchecked Sendable {
    /// How the weights and the activations are stored.
    public enum Format: String, Sendable, CaseIterable {
        /// Weights: symmetric codes −127…127 with one scale per output channel. Activations: unsigned codes with one
        /// scale and zero point per row, chosen per call from the row's range. Products accumulate exactly in int32.
        case int8
        /// Weights and activations rounded to bfloat16; products accumulate in float32.
        case bf16
        /// Weights as they are, in panels that AVX-512 reads one vector per input position: for CPUs where that is
        /// wider than the OpenBLAS kernel the environment allows.
        case f32

        var c: vecdb_packed_format {
            switch self {
            case .int8: return VECDB_PACKED_INT8
            case .bf16: return VECDB_PACKED_BF16
            case .f32: return VECDB_PACKED_F32
            }
        }
        /// Input positions per 32-bit lane: 4 bytes, 2 bf16 values, 1 float.
        var groupSize: Int { self == .int8 ? 4 : self == .bf16 ? 2 : 1 }
        var elementSize: Int { 4 / groupSize }
    }

    /// One compiled variant of a format's product: AVX-512 VNNI / AVX-512 BF16 / AVX-512 or portable, chosen at load time from
    /// cpuid (`VECDB_KERNELS=portable` forces the portable one, as it forces the portable float kernels).
    public struct Kernel: Sendable, Equatable, CustomStringConvertible {
        let index: Int32

        /// The variant every new matrix of `format` uses.
        public static func active(_ format: Format) -> Kernel {
            Kernel(index: vecdb_packed_gemm_kernel_choose(format.c, Kernels.requested))
        }

        /// Every variant of `format` this CPU can run, fastest first; the last is the portable one.
        public static func supported(_ format: Format) -> [Kernel] {
            (0..<vecdb_packed_gemm_kernel_count)
                .filter { vecdb_packed_gemm_kernel_supported($0) && vecdb_packed_gemm_kernel_at($0).pointee.format == format.c }
                .map { Kernel(index: $0) }
        }

        var entry: UnsafePointer<vecdb_packed_gemm_kernel> { vecdb_packed_gemm_kernel_at(index) }
        public var name: String { String(cString: entry.pointee.name) }
        public var description: String { name }
    }

    /// Scratch for one caller's converted activations, grown on demand and then reused. Not thread-safe: one per
    /// thread that calls `multiplyAdd`.
    public final class Activations {
        fileprivate var bytes = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        fileprivate var scale = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        fileprivate var zero = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        private var byteCapacity = 64, rowCapacity = 1

        public init() {}

        fileprivate func reserve(rows: Int, bytesPerRow: Int) {
            if rows * bytesPerRow > byteCapacity {
                bytes.deallocate()
                byteCapacity = max(rows * bytesPerRow, byteCapacity + byteCapacity / 2)
                bytes = UnsafeMutableRawPointer.allocate(byteCount: byteCapacity, alignment: 64)
            }
            if rows > rowCapacity {
                scale.deallocate()
                zero.deallocate()
                rowCapacity = max(rows, rowCapacity + rowCapacity / 2)
                scale = .allocate(capacity: rowCapacity)
                zero = .allocate(capacity: rowCapacity)
            }
        }

        deinit {
            bytes.deallocate()
            scale.deallocate()
            zero.deallocate()
        }
    }

    public let format: Format
    /// Output channels (rows of W).
    public let outputs: Int
    /// Input length (columns of W).
    public let inputs: Int
    public let kernel: Kernel
    private let groups: Int
    private let panels: Int
    private let weights: UnsafeMutableRawPointer
    private let channelScale: UnsafeMutablePointer<Float>?
    private let channelSum: UnsafeMutablePointer<Int32>?

    /// Packs the row-major `outputs` × `inputs` matrix `weights`.
    public init(_ weights: [Float], outputs: Int, inputs: Int, format: Format, kernel: Kernel? = nil) {
        precondition(outputs > 0 && inputs > 0 && weights.count == outputs * inputs)
        self.format = format
        self.outputs = outputs
        self.inputs = inputs
        self.kernel = kernel ?? .active(format)
        groups = (inputs + format.groupSize - 1) / format.groupSize
        panels = (outputs + 15) / 16
        let packed = UnsafeMutableRawPointer.allocate(byteCount: panels * 16 * groups * format.groupSize * format.elementSize,
                                                      alignment: 64)
        self.weights = packed
        switch format {
        case .int8:
            let scale = UnsafeMutablePointer<Float>.allocate(capacity: panels * 16)
            let sum = UnsafeMutablePointer<Int32>.allocate(capacity: panels * 16)
            weights.withUnsafeBufferPointer {
                vecdb_pack_int8_weights($0.baseAddress!, outputs, inputs, packed.assumingMemoryBound(to: Int8.self), scale, sum)
            }
            channelScale = scale
            channelSum = sum
        case .bf16:
            weights.withUnsafeBufferPointer {
                vecdb_pack_bf16_weights($0.baseAddress!, outputs, inputs, packed.assumingMemoryBound(to: UInt16.self))
            }
            channelScale = nil
            channelSum = nil
        case .f32:
            weights.withUnsafeBufferPointer {
                vecdb_pack_f32_weights($0.baseAddress!, outputs, inputs, packed.assumingMemoryBound(to: Float.self))
            }
            channelScale = nil
            channelSum = nil
        }
    }

    deinit {
        weights.deallocate()
        channelScale?.deallocate()
        channelSum?.deallocate()
    }

    /// Bytes of the packed weights and their per-channel scales and sums: what this matrix holds in memory.
    public var packedBytes: Int {
        panels * 16 * groups * format.groupSize * format.elementSize + (format == .int8 ? panels * 16 * 8 : 0)
    }

    /// y[r, c] += Σᵢ x[r, i] · W[c, i] for `rows` rows of x (`xStride` floats apart) into y (`yStride` apart), with
    /// the output channels split between `workers` threads (1: the calling thread only).
    public func multiplyAdd(_ x: UnsafePointer<Float>, rows: Int, xStride: Int, into y: UnsafeMutablePointer<Float>,
                            yStride: Int, scratch: Activations, workers: Int = 1) {
        guard rows > 0 else { return }
        let entry = kernel.entry
        var converted = UnsafeRawPointer(x), convertedStride = xStride
        if let convert = entry.pointee.convert {
            convertedStride = groups * format.groupSize
            scratch.reserve(rows: rows, bytesPerRow: convertedStride * format.elementSize)
            convert(x, rows, inputs, xStride, scratch.bytes, convertedStride, scratch.scale, scratch.zero)
            converted = UnsafeRawPointer(scratch.bytes)
        }
        var product = vecdb_packed_gemm(
            rows: rows, columns: outputs, groups: groups, x: converted, x_stride: convertedStride,
            weights: weights, y: y, y_stride: yStride,
            x_scale: scratch.scale, x_zero: scratch.zero, w_scale: channelScale, w_sum: channelSum)
        let workers = max(1, min(workers, panels))
        if workers == 1 {
            entry.pointee.multiply_add(&product, 0, panels)
            return
        }
        let panels = panels
        withUnsafePointer(to: &product) { product in
            // Workers write disjoint column ranges of y and read the rest; concurrentPerform returns when all are done,
            // so neither pointer outlives this call.
            let shared = UncheckedSendable((entry, product))
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let (entry, product) = shared.value
                entry.pointee.multiply_add(product, panels * w / workers, panels * (w + 1) / workers)
            }
        }
    }
}
