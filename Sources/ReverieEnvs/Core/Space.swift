@_exported import ReverieCore

/// The set of valid observations or actions, as Gymnasium's spaces.
///
/// Values of every space travel as flat `[Float]` in row-major order (a
/// `Discrete` value is one element holding the index), so a vector of
/// environments batches them into one tensor without per-type code.
public enum Space: Sendable, Equatable, CustomStringConvertible {
    /// Real values of `shape` with element-wise bounds (±∞ allowed). `dtype`
    /// records Gymnasium's element type (pixels are `uint8` in 0…255).
    case box(low: [Float], high: [Float], shape: [Int], dtype: ElementType)
    /// One of 0..<n.
    case discrete(Int)
    /// One index per entry: entry i lies in 0..<nvec[i].
    case multiDiscrete([Int])

    public enum ElementType: String, Sendable, Equatable { case float32, uint8 }

    /// A box with the same bounds for every element.
    public static func box(low: Float, high: Float, shape: [Int], dtype: ElementType = .float32) -> Space {
        let n = shape.reduce(1, *)
        return .box(low: Array(repeating: low, count: n), high: Array(repeating: high, count: n), shape: shape, dtype: dtype)
    }

    /// The shape of one value: a box's shape, `[]` for discrete, `[k]` for multi-discrete.
    public var shape: [Int] {
        switch self {
        case .box(_, _, let shape, _): shape
        case .discrete: []
        case .multiDiscrete(let nvec): [nvec.count]
        }
    }

    /// Number of Floats in one flat value.
    public var flatCount: Int { shape.reduce(1, *) }

    /// A uint8 Box: pixels, whose values are whole numbers in 0...255.
    public var isPixels: Bool {
        if case .box(_, _, _, .uint8) = self { return true }
        return false
    }

    /// True if `value` (flat, row-major) is a member of this space.
    public func contains(_ value: [Float]) -> Bool {
        switch self {
        case .box(let low, let high, _, _):
            guard value.count == low.count else { return false }
            for i in value.indices where !(value[i] >= low[i] && value[i] <= high[i]) { return false }
            return true
        case .discrete(let n):
            return value.count == 1 && value[0] == value[0].rounded() && value[0] >= 0 && value[0] < Float(n)
        case .multiDiscrete(let nvec):
            guard value.count == nvec.count else { return false }
            return zip(value, nvec).allSatisfy { v, n in v == v.rounded() && v >= 0 && v < Float(n) }
        }
    }

    /// A uniformly random member (Gymnasium's `sample`): uniform on bounded box
    /// axes, normal where both bounds are infinite, exponential shifted to the
    /// finite bound where one is.
    public func sample(using rng: inout RandomGenerator) -> [Float] {
        switch self {
        case .box(let low, let high, _, let dtype):
            return zip(low, high).map { lo, hi in
                let v: Float
                switch (lo.isFinite, hi.isFinite) {
                case (true, true): v = dtype == .uint8 ? Float(Int(lo) + rng.int(below: Int(hi - lo) + 1)) : rng.uniform(lo, hi)
                case (false, false): v = rng.normal()
                case (true, false): v = lo - logf(1 - rng.uniform())
                case (false, true): v = hi + logf(1 - rng.uniform())
                }
                return v
            }
        case .discrete(let n):
            return [Float(rng.int(below: n))]
        case .multiDiscrete(let nvec):
            return nvec.map { Float(rng.int(below: $0)) }
        }
    }

    public var description: String {
        switch self {
        case .box(let low, let high, let shape, let dtype):
            let bounds = Set(low).count == 1 && Set(high).count == 1 ? "\(low.first ?? 0), \(high.first ?? 0)" : "…"
            return "Box(\(bounds), \(shape), \(dtype.rawValue))"
        case .discrete(let n): return "Discrete(\(n))"
        case .multiDiscrete(let nvec): return "MultiDiscrete(\(nvec))"
        }
    }
}
