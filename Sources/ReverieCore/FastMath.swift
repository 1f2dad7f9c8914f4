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
@inlinable @inline(__always)
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

/// `fastExp` on eight lanes at once, for kernels that hold their data in
/// SIMD vectors (the selective scan): the same steps, lane-wise.
@_transparent
public func fastExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Clamped by compare-and-select (SIMD's generic pointwiseMin/Max are calls).
    var clamped = x
    clamped.replace(with: -103, where: x .< -103)
    clamped.replace(with: 88.72, where: x .> 88.72)
    let shifted = clamped * 1.442_695_04 + 12_582_912
    let k = shifted - 12_582_912
    let kBits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let r = (clamped - k * 0.693_145_75) - k * 1.428_606_8e-6
    var p = SIMD8<Float>(repeating: 1.0 / 5040)
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let half = kBits &>> 1
    let scaleA = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
    let scaleB = unsafeBitCast((kBits &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
    var y = p * scaleA * scaleB
    y.replace(with: 0, where: x .< -103)
    y.replace(with: .infinity, where: x .> 88.72)
    return y
}

/// tanh(x) as the odd rational minimax approximation x·P(x²)/Q(x²) of
/// degrees 13/6 on |x| ≤ 7.90531 (beyond it tanh rounds to ±1 in Float; the
/// coefficients are the ones Eigen and XLA use). One division, no exp and no
/// branch: 2–3× faster than the exponential form, within 4e-7 of libm.
@inlinable @inline(__always)
public func fastTanh(_ x: Float) -> Float {
    let c = Swift.min(Swift.max(x, -7.905_311_1), 7.905_311_1)
    let x2 = c * c
    var p: Float = -2.760_768_5e-16
    p = p * x2 + 2.000_187_9e-13
    p = p * x2 - 8.604_671_5e-11
    p = p * x2 + 5.122_297_1e-08
    p = p * x2 + 1.485_722_4e-05
    p = p * x2 + 6.372_619_3e-04
    p = p * x2 + 4.893_524_6e-03
    var q: Float = 1.198_258_4e-06
    q = q * x2 + 1.185_347_1e-04
    q = q * x2 + 2.268_434_6e-03
    q = q * x2 + 4.893_525_2e-03
    // Below 4e-4, tanh x = x in Float (and the quotient would lose tiny x).
    return Swift.abs(x) < 0.0004 ? x : c * p / q
}

/// σ(x) = 1 / (1 + e⁻ˣ).
@inlinable @inline(__always)
public func fastSigmoid(_ x: Float) -> Float { 1 / (1 + fastExp(-x)) }

/// log(1 + y) for y in [0, 1], as 2·atanh(s) with s = y/(2 + y) ∈ [0, 1/3]:
/// the odd series 2s(1 + s²/3 + … + s¹²/13), truncation error below 1e-7,
/// and no cancellation for small y. One division, no branch.
@inline(__always)
func fastLog1pUnit(_ y: Float) -> Float {
    let s = y / (2 + y), s2 = s * s
    var p: Float = 1.0 / 13
    p = p * s2 + 1.0 / 11
    p = p * s2 + 1.0 / 9
    p = p * s2 + 1.0 / 7
    p = p * s2 + 1.0 / 5
    p = p * s2 + 1.0 / 3
    p = p * s2 + 1
    return 2 * s * p
}

/// softplus(x) = log(1 + eˣ) = max(x, 0) + log(1 + e^−|x|), vectorisable.
@inline(__always)
public func fastSoftplus(_ x: Float) -> Float { Swift.max(x, 0) + fastLog1pUnit(fastExp(-Swift.abs(x))) }

// MARK: - Vectorised sums
//
// A plain loop's float sum does not vectorise (its order is fixed); these
// keep eight partial sums in one SIMD vector and add them at the end.

/// Σ p[i] over `count` floats.
@inline(__always)
func laneSum(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
    var lanes = SIMD8<Float>(), i = 0
    while i + 8 <= count {
        lanes += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
        i += 8
    }
    var sum = lanes.sum()
    while i < count { sum += p[i]; i += 1 }
    return sum
}

/// Σ p[i]·q[i] over `count` floats.
@inline(__always)
func laneDot(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, _ count: Int) -> Float {
    var lanes = SIMD8<Float>(), i = 0
    while i + 8 <= count {
        lanes += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            * UnsafeRawPointer(q + i).loadUnaligned(as: SIMD8<Float>.self)
        i += 8
    }
    var sum = lanes.sum()
    while i < count { sum += p[i] * q[i]; i += 1 }
    return sum
}

/// Σ (p[i] − center)² over `count` floats.
@inline(__always)
func laneSquaredDeviations(_ p: UnsafePointer<Float>, _ count: Int, from center: Float) -> Float {
    var lanes = SIMD8<Float>(), i = 0
    while i + 8 <= count {
        let d = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) - center
        lanes += d * d
        i += 8
    }
    var sum = lanes.sum()
    while i < count { sum += (p[i] - center) * (p[i] - center); i += 1 }
    return sum
}

/// The largest of `count` floats (−∞ for none).
@inline(__always)
func laneMax(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
    var m = -Float.infinity, i = 0
    if count >= 8 {
        var lanes = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
        i = 8
        while i + 8 <= count {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            lanes.replace(with: v, where: v .> lanes)
            i += 8
        }
        m = lanes.max()
    }
    while i < count { m = Swift.max(m, p[i]); i += 1 }
    return m
}

/// y[i] = e^(x[i] − shift) over `count` floats, written to `y` if given;
/// returns Σ y[i].
@inline(__always)
func laneShiftedExp(_ x: UnsafePointer<Float>, shift: Float, _ count: Int, into y: UnsafeMutablePointer<Float>?) -> Float {
    var lanes = SIMD8<Float>(), i = 0
    while i + 8 <= count {
        let e = fastExp(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - shift)
        if let y { UnsafeMutableRawPointer(y + i).storeBytes(of: e, as: SIMD8<Float>.self) }
        lanes += e
        i += 8
    }
    var sum = lanes.sum()
    while i < count {
        let e = fastExp(x[i] - shift)
        y?[i] = e
        sum += e
        i += 1
    }
    return sum
}
