// MARK: - Element-wise binary operations with broadcasting
//
// Each operation is a small type whose `apply` the generic kernel inlines, so
// the inner loop is a plain loop over pointers, specialised per operation.

protocol BinaryKernel {
    static func apply(_ a: Float, _ b: Float) -> Float
}

enum AddKernel: BinaryKernel { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
enum SubtractKernel: BinaryKernel { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
enum MultiplyKernel: BinaryKernel { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
enum DivideKernel: BinaryKernel { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b } }

/// out = K(a, b) with broadcasting.
func binaryKernel<K: BinaryKernel>(_: K.Type, _ a: Tensor, _ b: Tensor) -> Tensor {
    let pa = a.storage.pointer, pb = b.storage.pointer
    if a.shape == b.shape {
        return Tensor(shape: a.shape) { out in
            for i in 0..<out.count { out[i] = K.apply(pa[i], pb[i]) }
        }
    }
    let shape = broadcastShape(a.shape, b.shape)
    if b.count == 1 {
        let s = pb[0]
        return Tensor(shape: shape) { out in for i in 0..<out.count { out[i] = K.apply(pa[i], s) } }
    }
    if a.count == 1 {
        let s = pa[0]
        return Tensor(shape: shape) { out in for i in 0..<out.count { out[i] = K.apply(s, pb[i]) } }
    }
    let sa = broadcastStrides(a.shape, to: shape), sb = broadcastStrides(b.shape, to: shape)
    return Tensor(shape: shape) { out in
        let po = out.baseAddress!
        forEachRow(shape, sa, sb) { o, ia, ib, n, stepA, stepB in
            if stepA == 1 && stepB == 1 {
                for i in 0..<n { po[o + i] = K.apply(pa[ia + i], pb[ib + i]) }
            } else if stepA == 1 && stepB == 0 {
                let s = pb[ib]
                for i in 0..<n { po[o + i] = K.apply(pa[ia + i], s) }
            } else if stepA == 0 && stepB == 1 {
                let s = pa[ia]
                for i in 0..<n { po[o + i] = K.apply(s, pb[ib + i]) }
            } else {
                for i in 0..<n { po[o + i] = K.apply(pa[ia + i * stepA], pb[ib + i * stepB]) }
            }
        }
    }
}

// MARK: - Differentiable operations

extension Tensor {
    /// a + b (broadcasting).
    public func adding(_ other: Tensor) -> Tensor {
        let out = binaryKernel(AddKernel.self, self, other)
        return recorded(.add, out, self, other, backward: { [shape, other] g in
            [g.sumToShape(shape), g.sumToShape(other.shape)]
        })
    }

    /// a − b (broadcasting).
    public func subtracting(_ other: Tensor) -> Tensor {
        let out = binaryKernel(SubtractKernel.self, self, other)
        return recorded(.subtract, out, self, other, backward: { [shape, other] g in
            [g.sumToShape(shape), g.negated().sumToShape(other.shape)]
        })
    }

    /// a ⊙ b (broadcasting).
    public func multiplying(_ other: Tensor) -> Tensor {
        let out = binaryKernel(MultiplyKernel.self, self, other)
        return recorded(.multiply, out, self, other, backward: { [self, other] g in
            [binaryKernel(MultiplyKernel.self, g, other.detached).sumToShape(self.shape),
             binaryKernel(MultiplyKernel.self, g, self.detached).sumToShape(other.shape)]
        })
    }

    /// a / b (broadcasting).
    public func dividing(_ other: Tensor) -> Tensor {
        let out = binaryKernel(DivideKernel.self, self, other)
        return recorded(.divide, out, self, other, backward: { [self, other, out] g in
            let ga = binaryKernel(DivideKernel.self, g, other.detached)
            // ∂(a/b)/∂b = −(a/b)/b
            let gb = binaryKernel(MultiplyKernel.self, ga, out.detached).negatedValue()
            return [ga.sumToShape(self.shape), gb.sumToShape(other.shape)]
        })
    }

    /// self += other in place (same shape), not recorded: the tape's gradient
    /// accumulation. Copies first only if the storage is shared.
    mutating func accumulate(_ other: Tensor) {
        precondition(shape == other.shape, "cannot accumulate \(other.shape) into \(shape)")
        accumulate(other, at: 0)
    }

    /// self[offset ..< offset + other.count] += other (flat elements), in place.
    mutating func accumulate(_ other: Tensor, at offset: Int) {
        precondition(offset >= 0 && offset + other.count <= count, "cannot accumulate \(other.count) elements at \(offset) into \(count)")
        let src = other.storage.pointer
        withUnsafeMutableBufferPointer { dst in
            let d = dst.baseAddress! + offset
            for i in 0..<other.count { d[i] += src[i] }
        }
    }

    /// −x, not recorded (for backward rules).
    func negatedValue() -> Tensor {
        let p = storage.pointer
        return Tensor(shape: shape) { out in for i in 0..<out.count { out[i] = -p[i] } }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { a.adding(b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.subtracting(b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.multiplying(b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.dividing(b) }
    public static prefix func - (a: Tensor) -> Tensor { a.negated() }

    public static func + (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func + (s: Float, a: Tensor) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func - (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: -s) }
    public static func - (s: Float, a: Tensor) -> Tensor { a.affine(scale: -1, shift: s) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.affine(scale: s, shift: 0) }
    public static func * (s: Float, a: Tensor) -> Tensor { a.affine(scale: s, shift: 0) }
    public static func / (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1 / s, shift: 0) }
    public static func / (s: Float, a: Tensor) -> Tensor { Tensor(scalar: s).dividing(a) }
}
