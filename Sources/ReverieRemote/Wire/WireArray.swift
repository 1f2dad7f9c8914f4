/// One array frame of the protocol: a name, a dtype, a shape and raw
/// little-endian bytes (envs/PROTOCOL.md, "Header").
public struct WireArray: Equatable, Sendable {
    public enum DType: String, Sendable, CaseIterable {
        case float32, float64, int64, int32, uint8, bool

        public var size: Int {
            switch self {
            case .float64, .int64: 8
            case .float32, .int32: 4
            case .uint8, .bool: 1
            }
        }
    }

    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var bytes: [UInt8]

    public var count: Int { shape.reduce(1, *) }

    public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
        (self.name, self.dtype, self.shape, self.bytes) = (name, dtype, shape, bytes)
    }

    /// Encodes `values` as `dtype` (rounding to integers for integer dtypes).
    public init(name: String, dtype: DType, shape: [Int], values: UnsafeBufferPointer<Float>) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        var bytes = [UInt8](repeating: 0, count: values.count * dtype.size)
        bytes.withUnsafeMutableBytes { raw in
            switch dtype {
            case .float32: for (i, v) in values.enumerated() { raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
            case .float64: for (i, v) in values.enumerated() { raw.storeBytes(of: Double(v).bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self) }
            case .int64: for (i, v) in values.enumerated() { raw.storeBytes(of: Int64(v.rounded()).littleEndian, toByteOffset: 8 * i, as: Int64.self) }
            case .int32: for (i, v) in values.enumerated() { raw.storeBytes(of: Int32(v.rounded()).littleEndian, toByteOffset: 4 * i, as: Int32.self) }
            case .uint8: for (i, v) in values.enumerated() { raw[i] = UInt8(Swift.min(Swift.max(v.rounded(), 0), 255)) }
            case .bool: for (i, v) in values.enumerated() { raw[i] = v != 0 ? 1 : 0 }
            }
        }
        self.init(name: name, dtype: dtype, shape: shape, bytes: bytes)
    }

    public init(name: String, dtype: DType, shape: [Int], values: [Float]) {
        self = values.withUnsafeBufferPointer { WireArray(name: name, dtype: dtype, shape: shape, values: $0) }
    }

    public init(name: String, bools: [Bool]) {
        self.init(name: name, dtype: .bool, shape: [bools.count], bytes: bools.map { $0 ? 1 : 0 })
    }

    /// The elements as Floats, written into `destination` (`count` of them).
    public func decode(into destination: UnsafeMutablePointer<Float>) {
        bytes.withUnsafeBytes { raw in
            switch dtype {
            case .float32: for i in 0..<count { destination[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            case .float64: for i in 0..<count { destination[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
            case .int64: for i in 0..<count { destination[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
            case .int32: for i in 0..<count { destination[i] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
            case .uint8, .bool: for i in 0..<count { destination[i] = Float(raw[i]) }
            }
        }
    }

    /// The elements as Floats.
    public var floats: [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            decode(into: buffer.baseAddress!)
            initialized = count
        }
    }

    /// The elements as a tensor of this array's shape.
    public var tensor: Tensor { Tensor(shape: shape) { decode(into: $0.baseAddress!) } }

    /// The elements as Bools (non-zero is true).
    public var bools: [Bool] { floats.map { $0 != 0 } }
}
