// MARK: - Seedable randomness
//
// One generator, passed explicitly (`inout`), so a run is a function of its
// seed. xoshiro256** (Blackman & Vigna 2018) seeded through SplitMix64, as
// NumPy's and Julia's generators are; normals by Box–Muller so every platform
// draws the same numbers.

/// A fast, seedable pseudo-random generator: the same seed gives the same
/// sequence on every run and platform.
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64
    /// A second normal from the last Box–Muller pair, if unused.
    private var spareNormal: Float?

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// The generator's whole state as five words (xoshiro's four, then the
    /// spare normal's bits with a presence flag), so a checkpoint can resume
    /// the exact sequence.
    public var state: [UInt64] {
        [s0, s1, s2, s3, spareNormal.map { 1 << 32 | UInt64($0.bitPattern) } ?? 0]
    }

    /// A generator continuing from `state` (see `state`).
    public init(state: [UInt64]) {
        precondition(state.count == 5, "a RandomGenerator state has 5 words, got \(state.count)")
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
        spareNormal = state[4] >> 32 != 0 ? Float(bitPattern: UInt32(truncatingIfNeeded: state[4])) : nil
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// An independent generator derived from this one (for a sub-component
    /// such as one environment of a vector).
    public mutating func split() -> RandomGenerator { RandomGenerator(seed: next()) }

    // MARK: Scalars

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func uniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * uniform() }

    /// Uniform integer in 0..<n.
    public mutating func int(below n: Int) -> Int {
        precondition(n > 0, "int(below:) needs a positive bound")
        return Int(next(upperBound: UInt64(n)))
    }

    /// Standard normal N(0, 1).
    public mutating func normal() -> Float {
        if let z = spareNormal { spareNormal = nil; return z }
        var u1: Double
        repeat { u1 = Double(next() >> 11) * 0x1p-53 } while u1 == 0
        let u2 = Double(next() >> 11) * 0x1p-53
        let r = (-2 * log(u1)).squareRoot()
        spareNormal = Float(r * sin(2 * .pi * u2))
        return Float(r * cos(2 * .pi * u2))
    }

    /// An index drawn with probability proportional to `weights` (non-negative, not all zero).
    public mutating func categorical(_ weights: UnsafeBufferPointer<Float>) -> Int {
        var total: Float = 0
        for w in weights { total += w }
        precondition(total > 0 && total.isFinite, "categorical weights must have a positive finite sum, got \(total)")
        let u = uniform() * total
        var acc: Float = 0
        for (i, w) in weights.enumerated() {
            acc += w
            if u < acc { return i }
        }
        return weights.lastIndex { $0 > 0 }!
    }

    /// An index drawn with probability proportional to `weights`.
    public mutating func categorical(_ weights: [Float]) -> Int {
        weights.withUnsafeBufferPointer { categorical($0) }
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 { for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, int(below: i + 1)) } }
        return p
    }
}

// MARK: - Random tensors

extension Tensor {
    /// Elements uniform in [low, high).
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, using rng: inout RandomGenerator) -> Tensor {
        Tensor(shape: shape) { out in for i in 0..<out.count { out[i] = rng.uniform(low, high) } }
    }

    /// Elements drawn from N(mean, std²).
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, using rng: inout RandomGenerator) -> Tensor {
        Tensor(shape: shape) { out in for i in 0..<out.count { out[i] = mean + std * rng.normal() } }
    }
}
