/// A fixed-size heap block of floats with a stable address, for weights and scratch space.
///
/// Arrays would do, but the forward pass hands raw pointers to OpenBLAS and SIMD loops; owning the memory
/// directly avoids nesting a `withUnsafe…` closure per tensor and any copy-on-write checks in the hot loop.
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        // 64-byte alignment: full AVX-512 lines for the SIMD loops and OpenBLAS's packing.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        if !values.isEmpty { values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) } }
    }

    deinit {
        pointer.deallocate()
    }
}
