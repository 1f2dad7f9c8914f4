/// The vanilla (Elman) recurrent cell, PyTorch's `nn.RNNCell` with tanh:
///
///     h' = tanh(W_x·x + W_h·h + b)
///
/// State and output are h (B, N). Its recurrence is dense (∂h'/∂h =
/// diag(1 − h'²)·W_h), so exact RTRL would cost O(N⁴) per step; it learns
/// online by the approximations of `ApproximateRealTimeRecurrent` instead
/// (SnAp-1, UORO), or by TBPTT as any cell.
public final class RNNCell: RecurrentCell {
    /// W_x (N, D).
    public let inputWeight: Parameter
    /// W_h (N, N).
    public let hiddenWeight: Parameter
    /// b (N): PyTorch's two biases folded into one.
    public let bias: Parameter

    /// PyTorch's initialisation: U(±1/√N) for every weight and the bias.
    public init(inputSize: Int, hiddenSize: Int, rng: inout RandomGenerator) {
        let bound = 1 / Float(hiddenSize).squareRoot()
        let uniform = Initializer.uniform(-bound, bound)
        inputWeight = Parameter(uniform.make([hiddenSize, inputSize], using: &rng))
        hiddenWeight = Parameter(uniform.make([hiddenSize, hiddenSize], using: &rng))
        bias = Parameter(uniform.make([hiddenSize], using: &rng))
    }

    public var inputSize: Int { inputWeight.shape[1] }
    public var hiddenSize: Int { bias.shape[0] }
    public var stateWidths: [Int] { [hiddenSize] }

    public func step(_ x: Tensor, _ state: RecurrentState) -> (output: Tensor, state: RecurrentState) {
        let next = (x.linear(inputWeight.value, bias: bias.value) + state.parts[0].linear(hiddenWeight.value)).tanh()
        return (next, RecurrentState([next]))
    }

    /// h' and its derivative 1 − h'² from plain values (no tape).
    func forward(_ x: Tensor, _ h: Tensor) -> (next: Tensor, derivative: [Float]) {
        let next = (x.linear(inputWeight.storedValue, bias: bias.storedValue) + h.linear(hiddenWeight.storedValue)).tanh()
        return (next, next.scalars.map { 1 - $0 * $0 })
    }
}
