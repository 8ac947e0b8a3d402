import CKernels

/// One compiled variant of the int8 dot product that the index's quantised traversal runs on: AVX-512 VNNI, AVX-VNNI,
/// AVX2 or portable, chosen at load time from cpuid (and kept within the family `VECDB_KERNELS` forces).
///
/// The result is exact in 32-bit integers, so every variant returns the same value for the same bytes; tests compare
/// each supported one with `portable`.
public struct Int8Kernel: Sendable, Equatable, CustomStringConvertible {
    @usableFromInline let index: Int32

    @inlinable var entry: UnsafePointer<vecdb_int8_kernel> { vecdb_int8_kernel_at(index) }

    /// The variant every caller gets.
    @inlinable public static var active: Int8Kernel { Int8Kernel(index: vecdb_int8_kernel_active_index()) }

    /// Every variant this CPU can run, fastest first; the last is `portable`.
    public static var supported: [Int8Kernel] {
        (0..<vecdb_int8_kernel_count).filter { vecdb_int8_kernel_supported($0) }.map { Int8Kernel(index: $0) }
    }

    @usableFromInline init(index: Int32) { self.index = index }

    public var name: String { String(cString: entry.pointee.name) }
    public var description: String { name }

    /// Σ a[i]·b[i] over `count` bytes, `a` unsigned and `b` signed, at any addresses; exact for `count` ≤ 66,000.
    @inlinable
    public func dot(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Int32 {
        entry.pointee.dot(a.assumingMemoryBound(to: UInt8.self), b.assumingMemoryBound(to: Int8.self), count)
    }
}
