/// The type tag of a GGUF metadata value, as stored in the file (`gguf_type`).
public enum GGUFValueType: UInt32, Sendable, CaseIterable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Fewest bytes one value of this type can occupy; used to reject counts the rest of the file cannot hold
    /// before anything is allocated. `sizeFieldBytes` is 4 for GGUF v1 (32-bit lengths), 8 for v2 and v3.
    func minimumEncodedSize(sizeFieldBytes: Int) -> Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string: return sizeFieldBytes
        case .array: return 4 + sizeFieldBytes
        }
    }
}

/// One GGUF metadata value. Arrays keep their declared element type (an empty array still has one) and may nest.
public indirect enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String)
    case array(GGUFValueType, [GGUFValue])
    case uint64(UInt64), int64(Int64), float64(Double)

    /// The value as an integer when it is one of the integer types and fits in `Int`.
    public var intValue: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        default: return nil
        }
    }

    /// The value as a double when it is a float or an integer type.
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return intValue.map(Double.init)
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The elements when the value is an array.
    public var arrayValue: [GGUFValue]? {
        if case .array(_, let a) = self { return a }
        return nil
    }
}
