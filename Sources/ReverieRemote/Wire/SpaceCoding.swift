/// `Space` ↔ the JSON objects of envs/PROTOCOL.md, "Spaces".
extension Space {
    /// The protocol's JSON object for this space.
    public var wireObject: JSON {
        switch self {
        case .box(let low, let high, let shape, let dtype):
            func bound(_ values: [Float]) -> JSON {
                if let first = values.first, values.allSatisfy({ $0 == first }) { return encodeNumber(first) }
                return .array(values.map(encodeNumber))
            }
            return ["type": "box", "dtype": .string(dtype.rawValue), "shape": JSON(shape), "low": bound(low), "high": bound(high)]
        case .discrete(let n):
            return ["type": "discrete", "n": .int(n), "start": 0]
        case .multiDiscrete(let nvec):
            return ["type": "multi_discrete", "nvec": JSON(nvec)]
        }
    }

    /// Parses a space object; throws naming what is wrong.
    public init(wireObject o: JSON) throws {
        guard let type = o["type"]?.string else { throw ProtocolError("a space must be an object with a 'type'") }
        switch type {
        case "box":
            guard let shape = o["shape"]?.ints, let dtypeName = o["dtype"]?.string else {
                throw ProtocolError("box space needs 'shape' and 'dtype'")
            }
            let dtype: ElementType
            switch dtypeName {
            // A boolean Box (MinAtar's grids) travels as bytes 0 and 1.
            case "uint8", "bool": dtype = .uint8
            // Integer and half-precision Boxes reach the policy as floats (exact up to 2^24).
            case "float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint16", "uint32": dtype = .float32
            default:
                throw ProtocolError("box dtype '\(dtypeName)' is not supported (float32, float64, float16, uint8, bool, "
                                    + "int8 to int64, uint16, uint32)")
            }
            guard shape.allSatisfy({ $0 > 0 }), shape.count <= 8 else { throw ProtocolError("box shape \(shape) is not valid") }
            let n = shape.reduce(1, *)
            func bound(_ key: String) throws -> [Float] {
                guard let value = o[key] else { throw ProtocolError("box needs '\(key)'") }
                if let list = value.array {
                    guard list.count == n else { throw ProtocolError("box '\(key)' has \(list.count) values for shape \(shape)") }
                    return try list.map(decodeNumber)
                }
                return Array(repeating: try decodeNumber(value), count: n)
            }
            self = .box(low: try bound("low"), high: try bound("high"), shape: shape, dtype: dtype)
        case "discrete":
            guard let n = o["n"]?.int, n > 0 else { throw ProtocolError("discrete space needs 'n' > 0") }
            guard (o["start"]?.int ?? 0) == 0 else { throw ProtocolError("discrete spaces with start ≠ 0 are not supported") }
            self = .discrete(n)
        case "multi_discrete":
            guard let nvec = o["nvec"]?.ints, nvec.allSatisfy({ $0 > 0 }) else {
                throw ProtocolError("multi_discrete space needs 'nvec' of positive integers")
            }
            self = .multiDiscrete(nvec)
        default:
            throw ProtocolError("space type '\(type)' is not supported (box, discrete, multi_discrete)")
        }
    }

    /// The dtype values of this space travel in.
    var wireDType: WireArray.DType {
        switch self {
        case .box(_, _, _, let dtype): dtype == .uint8 ? .uint8 : .float32
        case .discrete, .multiDiscrete: .int64
        }
    }
}

private func encodeNumber(_ x: Float) -> JSON {
    if x == .infinity { return "inf" }
    if x == -.infinity { return "-inf" }
    return .double(Double(x))
}

private func decodeNumber(_ value: JSON) throws -> Float {
    if let s = value.string {
        switch s {
        case "inf", "+inf", "Infinity": return .infinity
        case "-inf", "-Infinity": return -.infinity
        default: throw ProtocolError("bound '\(s)' is not a number")
        }
    }
    guard let d = value.double else { throw ProtocolError("bound \(value) is not a number") }
    return Float(d)
}
