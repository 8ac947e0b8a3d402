import CKernels

extension Kernels {
    /// IEEE binary16 bits → Float, exactly (subnormals, infinities and NaNs included). The same bit arithmetic on
    /// every CPU; for whole rows use `widenHalves`, which uses F16C where the active set has it.
    @inlinable
    public static func float(fromHalf bits: UInt16) -> Float { vecdb_half_to_float(bits) }

    /// bfloat16 bits → Float: bfloat16 is the top half of a Float, so widening is a shift.
    @inlinable
    public static func float(fromBFloat16 bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }
}
