/// A dense recurrent cell that learns online by approximations of RTRL,
/// whose exact form would cost O(N⁴) per step:
///
/// - SnAp-1 (Menick et al. 2020, "Practical Real Time Recurrent Learning with
///   a Sparse Approximation"): keep only the sensitivities a parameter has
///   after one step — ∂h_i/∂θ for the θ that feed unit i directly — and
///   propagate them with the diagonal of ∂h_t/∂h_{t−1}. O(parameters) per
///   step; exact where the recurrence is diagonal (a test).
/// - UORO (Tallec & Ollivier 2018, "Unbiased Online Recurrent Optimization"):
///   a rank-one estimate s̃ ⊗ θ̃ of dh/dθ, refreshed with random signs each
///   step; unbiased (a test), noisy, O(parameters) per step.
///
/// Both hand the tape a value whose parameter gradients come from the
/// carried estimate, as `ElementwiseRecurrent.realTimeStep` does.
public protocol ApproximateRealTimeRecurrent: RecurrentCell {
    /// The parameters inside the recurrence, in the order of the sensitivities.
    var recurrentParameters: [Parameter] { get }

    /// One step carrying SnAp-1 sensitivities, shaped (B, …parameter shape)
    /// as `ElementwiseRecurrent`'s (start from `initialSensitivities`).
    func snapStep(_ x: Tensor, _ state: RecurrentState, _ sensitivities: Sensitivities)
        -> (output: Tensor, state: RecurrentState, sensitivities: Sensitivities)

    /// One step carrying UORO's rank-one estimate; draws the step's signs from `rng`.
    func uoroStep(_ x: Tensor, _ state: RecurrentState, _ estimate: RankOneSensitivity, using rng: inout RandomGenerator)
        -> (output: Tensor, state: RecurrentState, estimate: RankOneSensitivity)
}

extension ApproximateRealTimeRecurrent {
    /// Zero SnAp-1 sensitivities: one (B, …shape) tensor per recurrent parameter.
    public func initialSensitivities(batch: Int) -> Sensitivities {
        Sensitivities(recurrentParameters.map { Tensor.zeros([batch] + $0.shape) })
    }

    /// A zero UORO estimate for B sequences.
    public func initialEstimate(batch: Int) -> RankOneSensitivity {
        RankOneSensitivity(state: .zeros([batch, stateWidths.reduce(0, +)]),
                           parameters: .zeros([batch, recurrentParameters.reduce(0) { $0 + $1.count }]))
    }
}

/// UORO's estimate of ds/dθ for each sequence: the outer product s̃ ⊗ θ̃, with
/// θ̃ the recurrent parameters flattened in order.
public struct RankOneSensitivity {
    /// s̃ (B, state width).
    public var state: Tensor
    /// θ̃ (B, parameter count).
    public var parameters: Tensor

    public init(state: Tensor, parameters: Tensor) { (self.state, self.parameters) = (state, parameters) }

    /// Zeros both factors of sequences that start a new episode.
    public func reset(where starts: [Bool]) -> RankOneSensitivity {
        let parts = Sensitivities([state, parameters]).reset(where: starts).parts
        return RankOneSensitivity(state: parts[0], parameters: parts[1])
    }
}
