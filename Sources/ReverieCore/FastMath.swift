// MARK: - Vectorisable transcendental functions
//
// libm's expf/tanhf are scalar calls, which keeps element-wise loops from
// vectorising; on an MLP step they cost as much as the GEMMs' spare time.
// These use only arithmetic, rounding and bit casts, so LLVM turns the loops
// that call them into SIMD code. Accuracy is checked against libm in
// FastMathTests (a few ulp over the tested range).

/// eˣ by Cody–Waite range reduction: x = k·ln2 + r, |r| ≤ ln2/2, eʳ by its
/// degree-7 Taylor polynomial (truncation error < 1e-8 relative), and 2ᵏ built
/// in the exponent bits. Saturates to 0 and +∞ outside (−103, 88.7).
@inline(__always)
public func fastExp(_ x: Float) -> Float {
    let clamped = Swift.min(Swift.max(x, -103), 88.72)
    // Adding 1.5·2²³ rounds x·log₂e to the nearest integer k and leaves k in the
    // low mantissa bits: no float-to-int conversion, whose range check would
    // stop the loop from vectorising.
    let shifted = clamped * 1.442_695_04 + 12_582_912
    let k = shifted - 12_582_912
    let kBits = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
    // ln2 split in a part exact in float and a correction, so k·ln2 loses no bits.
    let r = (clamped - k * 0.693_145_75) - k * 1.428_606_8e-6
    var p: Float = 1.0 / 5040
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    // 2ᵏ as two factors so k down to −149 stays representable (subnormal results).
    let half = kBits >> 1
    let scaleA = Float(bitPattern: UInt32(bitPattern: (half &+ 127) &<< 23))
    let scaleB = Float(bitPattern: UInt32(bitPattern: (kBits &- half &+ 127) &<< 23))
    let y = p * scaleA * scaleB
    return x < -103 ? 0 : (x > 88.72 ? .infinity : y)
}

/// tanh(x): an odd Taylor polynomial near 0 (where 1 − 2/(e²ˣ + 1) would
/// cancel), the exponential form elsewhere; ±1 beyond |x| = 10.
@inline(__always)
public func fastTanh(_ x: Float) -> Float {
    let a = Swift.abs(x)
    let x2 = x * x
    // tanh x = x − x³/3 + 2x⁵/15 − 17x⁷/315 + 62x⁹/2835, error < 2e-9 for |x| < 0.3
    let small = x * (1 + x2 * (-1.0 / 3 + x2 * (2.0 / 15 + x2 * (-17.0 / 315 + x2 * (62.0 / 2835)))))
    let e = fastExp(2 * Swift.min(a, 10))
    let large = 1 - 2 / (e + 1)
    return a < 0.3 ? small : (x < 0 ? -large : large)
}

/// σ(x) = 1 / (1 + e⁻ˣ).
@inline(__always)
public func fastSigmoid(_ x: Float) -> Float { 1 / (1 + fastExp(-x)) }
