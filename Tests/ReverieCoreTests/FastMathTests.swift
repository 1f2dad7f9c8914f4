import Testing
import ReverieCore

/// The vectorisable exp/tanh/sigmoid against libm, over their useful range.
struct FastMathTests {
    /// Evenly spaced points in [low, high] plus the awkward ones.
    static func grid(_ low: Float, _ high: Float, _ n: Int = 200_001) -> [Float] {
        (0..<n).map { low + (high - low) * Float($0) / Float(n - 1) } + [0, -0, 1e-30, -1e-30, 1e-7, -1e-7]
    }

    @Test func expMatchesLibm() {
        var worst: Float = 0
        for x in Self.grid(-87, 88) {
            let exact = libmExp(x)
            worst = max(worst, abs(fastExp(x) - exact) / exact)
        }
        print("fastExp worst relative error over [-87, 88]: \(worst)")
        #expect(worst < 4e-7)
    }

    @Test func simdExpEqualsScalarExp() {
        let xs = Self.grid(-110, 95, 80_000)
        for start in stride(from: 0, to: xs.count - 8, by: 8) {
            let lanes = fastExp(SIMD8<Float>(xs[start..<start + 8]))
            for i in 0..<8 { #expect(lanes[i] == fastExp(xs[start + i]), "x = \(xs[start + i])") }
        }
    }

    @Test func softplusMatchesLibm() {
        var worst: Float = 0
        for x in Self.grid(-30, 30) {
            let exact = max(x, 0) + log1pf(expf(-abs(x)))
            worst = max(worst, abs(fastSoftplus(x) - exact) / max(exact, 1e-30))
        }
        print("fastSoftplus worst relative error over [-30, 30]: \(worst)")
        #expect(worst < 1e-6)
    }

    @Test func expSaturates() {
        #expect(fastExp(-200) == 0)
        #expect(fastExp(200) == .infinity)
        #expect(fastExp(-.infinity) == 0)
        #expect(fastExp(0) == 1)
        #expect(fastExp(.nan).isNaN && fastTanh(.nan).isNaN)
        // Subnormal range still decays smoothly rather than flushing early.
        #expect(fastExp(-100) > 0 && fastExp(-100) < 1e-43)
    }

    @Test func tanhMatchesLibm() {
        var worstRelative: Float = 0, worstAbsolute: Float = 0
        for x in Self.grid(-12, 12) {
            let exact = libmTanh(x)
            let y = fastTanh(x)
            worstAbsolute = max(worstAbsolute, abs(y - exact))
            if exact != 0 { worstRelative = max(worstRelative, abs(y - exact) / abs(exact)) }
        }
        print("fastTanh worst error over [-12, 12]: relative \(worstRelative), absolute \(worstAbsolute)")
        #expect(worstRelative < 2e-6)
        #expect(worstAbsolute < 5e-7)
        #expect(fastTanh(50) == 1 && fastTanh(-50) == -1)
    }

    @Test func sigmoidMatchesLibm() {
        var worst: Float = 0
        for x in Self.grid(-30, 30) {
            let exact = 1 / (1 + libmExp(-x))
            worst = max(worst, abs(fastSigmoid(x) - exact) / exact)
        }
        print("fastSigmoid worst relative error over [-30, 30]: \(worst)")
        #expect(worst < 1e-6)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
private func libmExp(_ x: Float) -> Float { expf(x) }
private func libmTanh(_ x: Float) -> Float { tanhf(x) }
