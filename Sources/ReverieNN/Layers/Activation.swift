/// A pointwise nonlinearity, chosen by name in configs (`"tanh"`, `"silu"`, …).
public enum Activation: String, CaseIterable, Codable, Sendable {
    case identity, tanh, sigmoid, relu, silu, elu, gelu, softplus

    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .identity: x
        case .tanh: x.tanh()
        case .sigmoid: x.sigmoid()
        case .relu: x.relu()
        case .silu: x.silu()
        case .elu: x.elu()
        case .gelu: x.gelu()
        case .softplus: x.softplus()
        }
    }

    /// The gain that keeps activations' scale through this nonlinearity
    /// (PyTorch's `calculate_gain`), for orthogonal and Xavier initialisation.
    public var gain: Float {
        switch self {
        case .identity, .sigmoid, .softplus: 1
        case .tanh: 5.0 / 3.0
        case .relu, .elu, .gelu, .silu: 1.4142135
        }
    }
}
