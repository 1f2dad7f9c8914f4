@_exported import ReverieRecurrent

/// A world model's memory: the sequence model that carries what the model
/// has seen (DreamerV3's RSSM GRU, S4WM's S4 blocks, Drama's Mamba), behind
/// one protocol so a model swaps it by one setting (`BackboneConfig`).
///
/// Acting and imagination advance one step at a time at O(1) cost (`step`);
/// training runs whole sequences (`scan`), parallel or fused where the model
/// allows. Both honour reset flags: a row whose flag is set restarts from the
/// initial state before that step (an episode boundary inside a batch).
/// `scan` must equal `step` applied in a loop (a property test runs over
/// every backbone).
///
/// Sequences are batch-major here, as world-model batches are sampled:
/// inputs (B, L, D), flags (B·L) with row b·L + t.
public protocol SequenceBackbone: Module {
    /// D, the width of an input.
    var inputSize: Int { get }
    /// H, the width of an output.
    var outputSize: Int { get }

    /// The state of B rows before any input (zeros).
    func initialState(batch: Int) -> RecurrentState

    /// One step. - Parameters: input (B, D); the state; resets (B), rows
    /// restarting from the initial state before this step.
    /// - Returns: output (B, H) and the next state.
    func step(_ input: Tensor, _ state: RecurrentState, resets: [Bool]) -> (output: Tensor, state: RecurrentState)

    /// L steps, differentiable. - Parameters: inputs (B, L, D); the state
    /// before the first; resets (B·L), row b·L + t.
    /// - Returns: outputs (B, L, H) and the state after the last step.
    func scan(_ inputs: Tensor, _ state: RecurrentState, resets: [Bool]) -> (outputs: Tensor, state: RecurrentState)
}

/// Which backbone and how large: one setting swaps a world model's memory.
public struct BackboneConfig: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// DreamerV3's RSSM recurrence: a LayerNorm GRU.
        case gru
        /// S4WM's blocks of a diagonal state-space layer (S4D / S5 form).
        case s4
        /// Drama's residual Mamba blocks (selective state space).
        case mamba
    }

    public var kind: Kind
    /// H, the width of every layer.
    public var width: Int
    /// Stacked layers, each feeding the next.
    public var layers: Int
    /// N: complex modes per layer (S4), states per channel (Mamba).
    public var stateSize: Int
    /// G: groups of the GRU's block-diagonal recurrence (1 = dense; DreamerV3 uses 8).
    public var blocks: Int
    /// S4: the range Δ is initialised in, log-uniformly (S4D's dt_min, dt_max).
    /// A mode with step Δ decays by e^(−Δ/2) a step, so it remembers about
    /// 2/Δ steps: 10⁻³…10⁻¹ spans 20 to 2,000 steps.
    public var minTimestep: Float = 1e-3, maxTimestep: Float = 1e-1

    public init(kind: Kind = .gru, width: Int = 256, layers: Int = 1, stateSize: Int = 64, blocks: Int = 1) {
        (self.kind, self.width, self.layers, self.stateSize, self.blocks) = (kind, width, layers, stateSize, blocks)
    }

    /// A freshly initialised backbone reading inputs of `inputSize`.
    public func make(inputSize: Int, rng: inout RandomGenerator) -> any SequenceBackbone {
        switch kind {
        case .gru: GRUBackbone(inputSize: inputSize, width: width, layers: layers, blocks: blocks, rng: &rng)
        case .s4: S4Backbone(inputSize: inputSize, width: width, layers: layers, stateSize: stateSize,
                             timesteps: minTimestep...maxTimestep, rng: &rng)
        case .mamba: MambaBackbone(inputSize: inputSize, width: width, layers: layers, stateSize: stateSize, rng: &rng)
        }
    }

    /// Model FLOPs of one forward step of one row: 2 × the multiply-adds of
    /// the backbone's matrix products (the recurrences' element-wise work is
    /// not counted). A training step (forward and backward) is about 3× this
    /// per token; benchmarks divide by time and the measured sgemm rate for
    /// model FLOP utilisation.
    public func forwardFlopsPerToken(inputSize d: Int) -> Int {
        let h = width, n = stateSize
        switch kind {
        case .gru:
            // W_x (3H × D or H) and W_h (G blocks of 3H/G × H/G) per layer.
            let recurrent = 3 * h * h / blocks
            return 2 * (3 * h * d + recurrent) + (layers - 1) * 2 * (3 * h * h + recurrent)
        case .s4:
            // Input Linear; per block B̄ and C (complex: two real N × H each) and the mix (H × H).
            return 2 * d * h + layers * 2 * (4 * n * h + h * h)
        case .mamba:
            // Input Linear; per layer W_in (2E × H), W_x (R + 2N × E), W_Δ (E × R), W_out (H × E).
            let e = 2 * h, r = max(1, (h + 15) / 16)
            return 2 * d * h + layers * 2 * (2 * e * h + (r + 2 * n) * e + e * r + h * e)
        }
    }
}

extension SequenceBackbone {
    /// Checks `scan`'s arguments and returns B, L and the reset flags per
    /// step, time-major (L × B).
    func scanShape(_ inputs: Tensor, resets: [Bool]) -> (batch: Int, length: Int, flags: [[Bool]]) {
        precondition(inputs.rank == 3 && inputs.shape[2] == inputSize, "scan needs inputs (B, L, \(inputSize)), got \(inputs.shape)")
        let (batch, length) = (inputs.shape[0], inputs.shape[1])
        precondition(resets.count == batch * length, "scan needs B·L = \(batch * length) reset flags, got \(resets.count)")
        return (batch, length, (0..<length).map { t in (0..<batch).map { resets[$0 * length + t] } })
    }
}
