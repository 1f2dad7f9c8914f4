/// numpy's legacy `RandomState`, draw for draw: the 32-bit Mersenne Twister
/// (MT19937, Matsumoto & Nishimura 1998) seeded as `RandomState(seed)` seeds
/// it, and the three draws MinAtar makes with it — `rand()`, `randint(n)`
/// and `randint(low, high)` — as numpy computes them, so that a game seeded
/// here plays exactly as the Python package does with the same seed.
///
///     var random = NumpyRandomState(seed: 7)
///     random.uniform()            // rs.rand()
///     random.integer(below: 6)    // rs.randint(6)
public struct NumpyRandomState: Sendable, Equatable {
    private static let n = 624, m = 397
    private var key: [UInt32]
    private var position: Int

    /// `RandomState(seed)` (numpy's `init_genrand`).
    public init(seed: UInt32) {
        key = [UInt32](repeating: 0, count: Self.n)
        var s = seed
        for i in 0..<Self.n {
            key[i] = s
            s = 1_812_433_253 &* (s ^ (s >> 30)) &+ UInt32(i + 1)
        }
        position = Self.n
    }

    /// The next 32 random bits (`genrand_int32`).
    public mutating func nextUInt32() -> UInt32 {
        if position == Self.n { reload() }
        var y = key[position]
        position += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// `rand()`: a double in [0, 1) from 53 random bits (two 32-bit draws).
    public mutating func uniform() -> Double {
        let a = Double(nextUInt32() >> 5), b = Double(nextUInt32() >> 6)
        return (a * 67_108_864 + b) / 9_007_199_254_740_992
    }

    /// `randint(low, high)`: an integer in low..<high by numpy's masked
    /// rejection (32-bit draws masked to the smallest 2^k − 1 ≥ high − low − 1
    /// until one lands in range).
    public mutating func integer(in range: Range<Int>) -> Int {
        precondition(!range.isEmpty && range.count <= 1 << 32, "randint needs 1 to 2^32 choices, got \(range)")
        let largest = UInt32(range.count - 1)
        guard largest > 0 else { return range.lowerBound }
        var mask = largest
        for shift in [1, 2, 4, 8, 16] { mask |= mask >> UInt32(shift) }
        var value: UInt32
        repeat { value = nextUInt32() & mask } while value > largest
        return range.lowerBound + Int(value)
    }

    /// `randint(n)`: an integer in 0..<n.
    public mutating func integer(below n: Int) -> Int { integer(in: 0..<n) }

    /// The generator's 624 words and position, for snapshots.
    public var state: [UInt64] { key.map(UInt64.init) + [UInt64(position)] }

    /// A generator from `state`, or nil if it is not one.
    public init?(state: [UInt64]) {
        guard state.count == Self.n + 1, state.dropLast().allSatisfy({ $0 <= UInt64(UInt32.max) }),
              let position = Int(exactly: state[Self.n]), (0...Self.n).contains(position) else { return nil }
        key = state.dropLast().map { UInt32($0) }
        self.position = position
    }

    /// The next 624 words (MT19937's twist).
    private mutating func reload() {
        let upper: UInt32 = 0x8000_0000, lower: UInt32 = 0x7FFF_FFFF, matrix: UInt32 = 0x9908_B0DF
        for i in 0..<Self.n {
            let y = (key[i] & upper) | (key[(i + 1) % Self.n] & lower)
            key[i] = key[(i + Self.m) % Self.n] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : matrix)
        }
        position = 0
    }
}
