// MARK: - Element-wise unary operations
//
// A unary operation is a value conforming to `UnaryKernel`: its forward map and
// its derivative written in terms of the input x and the output y (tanh' = 1 − y²),
// so backward needs no recomputation. The generic kernels are specialised per
// operation; the loops are plain loops over pointers.

protocol UnaryKernel {
    /// The tape's name for this operation.
    var operation: Operation { get }
    func value(_ x: Float) -> Float
    func derivative(x: Float, y: Float) -> Float
}

extension Tensor {
    func map<K: UnaryKernel>(_ kernel: K) -> Tensor {
        let p = storage.pointer
        let out = Tensor(shape: shape) { out in
            for i in 0..<out.count { out[i] = kernel.value(p[i]) }
        }
        return recorded(kernel.operation, out, self, backward: { [self] g in
            let px = self.storage.pointer, py = out.storage.pointer, pg = g.storage.pointer
            return [Tensor(shape: g.shape) { dx in
                for i in 0..<dx.count { dx[i] = pg[i] * kernel.derivative(x: px[i], y: py[i]) }
            }]
        })
    }
}

struct Affine: UnaryKernel {
    var operation: Operation { .affine }
    let scale: Float, shift: Float
    @inline(__always) func value(_ x: Float) -> Float { scale * x + shift }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { scale }
}
struct Exp: UnaryKernel {
    var operation: Operation { .exp }
    @inline(__always) func value(_ x: Float) -> Float { fastExp(x) }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { y }
}
struct Log: UnaryKernel {
    var operation: Operation { .log }
    @inline(__always) func value(_ x: Float) -> Float { logf(x) }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { 1 / x }
}
struct SquareRoot: UnaryKernel {
    var operation: Operation { .sqrt }
    @inline(__always) func value(_ x: Float) -> Float { x.squareRoot() }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { 0.5 / y }
}
struct Square: UnaryKernel {
    var operation: Operation { .square }
    @inline(__always) func value(_ x: Float) -> Float { x * x }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { 2 * x }
}
struct Absolute: UnaryKernel {
    var operation: Operation { .abs }
    @inline(__always) func value(_ x: Float) -> Float { Swift.abs(x) }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) }
}
struct Power: UnaryKernel {
    var operation: Operation { .pow }
    let exponent: Float
    @inline(__always) func value(_ x: Float) -> Float { powf(x, exponent) }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { exponent * powf(x, exponent - 1) }
}
struct Clamp: UnaryKernel {
    var operation: Operation { .clamp }
    let lower: Float, upper: Float
    @inline(__always) func value(_ x: Float) -> Float { min(Swift.max(x, lower), upper) }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { x >= lower && x <= upper ? 1 : 0 }
}
struct Tanh: UnaryKernel {
    var operation: Operation { .tanh }
    @inline(__always) func value(_ x: Float) -> Float { fastTanh(x) }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { 1 - y * y }
}
struct Sigmoid: UnaryKernel {
    var operation: Operation { .sigmoid }
    @inline(__always) func value(_ x: Float) -> Float { fastSigmoid(x) }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { y * (1 - y) }
}
struct ReLU: UnaryKernel {
    var operation: Operation { .relu }
    @inline(__always) func value(_ x: Float) -> Float { Swift.max(x, 0) }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : 0 }
}
/// silu(x) = x·σ(x) (Elfwing et al. 2018; "swish").
struct SiLU: UnaryKernel {
    var operation: Operation { .silu }
    @inline(__always) func value(_ x: Float) -> Float { x * fastSigmoid(x) }
    @inline(__always) func derivative(x: Float, y: Float) -> Float {
        let s = fastSigmoid(x)
        return s * (1 + x * (1 - s))
    }
}
/// elu(x) = x for x > 0, α(eˣ − 1) otherwise (Clevert et al. 2016).
struct ELU: UnaryKernel {
    var operation: Operation { .elu }
    let alpha: Float
    @inline(__always) func value(_ x: Float) -> Float { x > 0 ? x : alpha * (expf(x) - 1) }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : y + alpha }
}
/// gelu(x) = x·Φ(x) with the exact normal CDF (Hendrycks & Gimpel 2016), as PyTorch's default.
struct GELU: UnaryKernel {
    var operation: Operation { .gelu }
    @inline(__always) func value(_ x: Float) -> Float { 0.5 * x * (1 + erff(x * 0.70710678)) }
    @inline(__always) func derivative(x: Float, y: Float) -> Float {
        0.5 * (1 + erff(x * 0.70710678)) + x * 0.39894228 * expf(-0.5 * x * x)
    }
}
/// softplus(x) = log(1 + eˣ), computed without overflow.
struct Softplus: UnaryKernel {
    var operation: Operation { .softplus }
    @inline(__always) func value(_ x: Float) -> Float { fastSoftplus(x) }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { fastSigmoid(x) }
}
/// symlog(x) = sign(x)·log(1 + |x|) (DreamerV3, Hafner et al. 2023, eq. 9).
struct Symlog: UnaryKernel {
    var operation: Operation { .symlog }
    @inline(__always) func value(_ x: Float) -> Float { x < 0 ? -log1pf(-x) : log1pf(x) }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { 1 / (1 + Swift.abs(x)) }
}
/// symexp(x) = sign(x)·(exp(|x|) − 1), the inverse of symlog.
struct Symexp: UnaryKernel {
    var operation: Operation { .symexp }
    @inline(__always) func value(_ x: Float) -> Float { x < 0 ? -expm1f(-x) : expm1f(x) }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { expf(Swift.abs(x)) }
}

struct Sine: UnaryKernel {
    var operation: Operation { .sin }
    @inline(__always) func value(_ x: Float) -> Float { sinf(x) }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { cosf(x) }
}
struct Cosine: UnaryKernel {
    var operation: Operation { .cos }
    @inline(__always) func value(_ x: Float) -> Float { cosf(x) }
    @inline(__always) func derivative(x: Float, y: Float) -> Float { -sinf(x) }
}

// MARK: - Public API

extension Tensor {
    /// scale·x + shift.
    public func affine(scale: Float, shift: Float) -> Tensor { map(Affine(scale: scale, shift: shift)) }
    public func negated() -> Tensor { map(Affine(scale: -1, shift: 0)) }
    public func exp() -> Tensor { map(Exp()) }
    public func log() -> Tensor { map(Log()) }
    public func sqrt() -> Tensor { map(SquareRoot()) }
    public func squared() -> Tensor { map(Square()) }
    public func abs() -> Tensor { map(Absolute()) }
    /// xᵖ (for x > 0 unless p is an integer).
    public func pow(_ exponent: Float) -> Tensor { map(Power(exponent: exponent)) }
    /// min(Swift.max(x, lower), upper); the gradient is zero outside [lower, upper].
    public func clamped(_ lower: Float, _ upper: Float) -> Tensor {
        precondition(lower <= upper, "clamp bounds \(lower) > \(upper)")
        return map(Clamp(lower: lower, upper: upper))
    }
    public func tanh() -> Tensor { map(Tanh()) }
    public func sigmoid() -> Tensor { map(Sigmoid()) }
    public func relu() -> Tensor { map(ReLU()) }
    public func silu() -> Tensor { map(SiLU()) }
    public func elu(alpha: Float = 1) -> Tensor { map(ELU(alpha: alpha)) }
    public func gelu() -> Tensor { map(GELU()) }
    public func softplus() -> Tensor { map(Softplus()) }
    public func symlog() -> Tensor { map(Symlog()) }
    public func symexp() -> Tensor { map(Symexp()) }
    public func sin() -> Tensor { map(Sine()) }
    public func cos() -> Tensor { map(Cosine()) }
}
