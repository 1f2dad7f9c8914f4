/// `Space` ↔ the JSON objects of envs/PROTOCOL.md, "Spaces".
extension Space {
    /// The protocol's JSON object for this space.
    public var wireObject: [String: Any] {
        switch self {
        case .box(let low, let high, let shape, let dtype):
            func bound(_ values: [Float]) -> Any {
                let encoded = values.map(encodeNumber)
                if let first = values.first, values.allSatisfy({ $0 == first }) { return encodeNumber(first) }
                return encoded
            }
            return ["type": "box", "dtype": dtype.rawValue, "shape": shape, "low": bound(low), "high": bound(high)]
        case .discrete(let n):
            return ["type": "discrete", "n": n, "start": 0]
        case .multiDiscrete(let nvec):
            return ["type": "multi_discrete", "nvec": nvec]
        }
    }

    /// Parses a space object; throws naming what is wrong.
    public init(wireObject object: Any) throws {
        guard let o = object as? [String: Any], let type = o["type"] as? String else {
            throw ProtocolError("a space must be an object with a 'type'")
        }
        switch type {
        case "box":
            guard let shape = o["shape"] as? [Int], let dtypeName = o["dtype"] as? String else {
                throw ProtocolError("box space needs 'shape' and 'dtype'")
            }
            let dtype: ElementType
            switch dtypeName {
            case "uint8": dtype = .uint8
            case "float32", "float64": dtype = .float32
            default: throw ProtocolError("box dtype '\(dtypeName)' is not supported (float32, float64, uint8)")
            }
            let n = shape.reduce(1, *)
            func bound(_ key: String) throws -> [Float] {
                if let list = o[key] as? [Any] {
                    guard list.count == n else { throw ProtocolError("box '\(key)' has \(list.count) values for shape \(shape)") }
                    return try list.map(decodeNumber)
                }
                guard let value = o[key] else { throw ProtocolError("box needs '\(key)'") }
                return Array(repeating: try decodeNumber(value), count: n)
            }
            self = .box(low: try bound("low"), high: try bound("high"), shape: shape, dtype: dtype)
        case "discrete":
            guard let n = o["n"] as? Int, n > 0 else { throw ProtocolError("discrete space needs 'n' > 0") }
            guard (o["start"] as? Int ?? 0) == 0 else { throw ProtocolError("discrete spaces with start ≠ 0 are not supported") }
            self = .discrete(n)
        case "multi_discrete":
            guard let nvec = o["nvec"] as? [Int], nvec.allSatisfy({ $0 > 0 }) else {
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

private func encodeNumber(_ x: Float) -> Any {
    if x == .infinity { return "inf" }
    if x == -.infinity { return "-inf" }
    return Double(x)
}

private func decodeNumber(_ value: Any) throws -> Float {
    if let s = value as? String {
        switch s {
        case "inf", "+inf", "Infinity": return .infinity
        case "-inf", "-Infinity": return -.infinity
        default: throw ProtocolError("bound '\(s)' is not a number")
        }
    }
    guard let d = value as? Double else { throw ProtocolError("bound \(value) is not a number") }
    return Float(d)
}
