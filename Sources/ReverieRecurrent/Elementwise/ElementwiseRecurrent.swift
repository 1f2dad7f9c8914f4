/// A recurrent cell whose recurrence is element-wise: ∂s_t/∂s_{t−1} is
/// diagonal, so unit i's state depends on the past only through its own
/// s_{t−1,i}. Then the sensitivities of the state to the recurrent layer's
/// parameters, S_t = ds_t/dθ, follow a one-step recursion of the form
///
///     S_t = a_t ⊙ S_{t−1} + (local term of step t)
///
/// with a_t = ∂s_t/∂s_{t−1} (one number per unit), in O(parameters) time and
/// memory per step (Irie, Gopalakrishnan & Schmidhuber 2024, "Exploring the
/// Promise and Limits of Real-Time Recurrent Learning", Sec. 3). Exact
/// real-time recurrent learning (RTRL) is then as cheap as a few forward
/// steps, and learns through any length of time without storing the past.
///
/// `realTimeStep` runs one step and carries the sensitivities; the output is
/// recorded on the tape so that `tape.gradients` returns, for the recurrent
/// parameters, ∂L/∂s_t · S_t summed over the steps that the loss reads: the
/// exact gradient through all of time, with the state before the step held
/// constant on the tape. Gradients reaching the input x_t are those of the
/// current step only (truncated), as in the paper's agents: whatever lies
/// below the recurrent layer learns from one step of it. Parameters outside
/// the recurrence (eLSTM's output gate, LRU's C and D) learn by ordinary
/// backpropagation through the current step, which is exact for them.
///
/// Every cell also works as an ordinary `RecurrentCell` (`step`, `scan`) on the
/// tape, so the same cell can be trained by truncated BPTT for comparison.
public protocol ElementwiseRecurrent: RecurrentCell {
    /// The parameters inside the recurrence, in the order of `Sensitivities.parts`.
    var recurrentParameters: [Parameter] { get }

    /// Zero sensitivities for B sequences (by default one (B, …shape) tensor
    /// per recurrent parameter, in their order).
    func initialSensitivities(batch: Int) -> Sensitivities

    /// One step that also carries the sensitivities, in place where nothing
    /// else holds them (a tape that may still contract them keeps its own).
    /// - Parameters: x (B, D); the state after the previous step; its
    ///   sensitivities, replaced by the next ones (reset both where an episode
    ///   starts, as `step` would be).
    /// - Returns: y (B, H) and the next state (not on the tape).
    func realTimeStep(_ x: Tensor, _ state: RecurrentState, _ sensitivities: inout Sensitivities)
        -> (output: Tensor, state: RecurrentState)
}

extension ElementwiseRecurrent {
    /// `realTimeStep` returning the next sensitivities as a value.
    public func realTimeStep(_ x: Tensor, _ state: RecurrentState, _ sensitivities: Sensitivities)
        -> (output: Tensor, state: RecurrentState, sensitivities: Sensitivities)
    {
        var carried = sensitivities
        let step = realTimeStep(x, state, &carried)
        return (step.output, step.state, carried)
    }

    public func initialSensitivities(batch: Int) -> Sensitivities {
        Sensitivities(recurrentParameters.map { Tensor.zeros([batch] + $0.shape) })
    }
}

/// ds/dθ for each recurrent parameter θ, per sequence: part k has shape
/// (B, …shape of parameter k). For a complex state stored as [re | im] the
/// parts hold the real and imaginary sensitivities likewise.
///
/// A value: copies never see each other's changes. A cell's step may leave
/// its update pending (`DiagonalRTRL.Update`), to be carried out in one pass
/// with the gradient's contraction; reading `parts` carries it out first.
public struct Sensitivities {
    /// S_t when nothing is pending.
    private var settled: [Tensor]
    /// Otherwise the update that yields S_t.
    private var pending: DiagonalRTRL.Update?

    public init(_ parts: [Tensor]) {
        settled = parts
        pending = nil
    }

    /// Sensitivities whose update from S_{t−1} is still to be carried out.
    init(pending update: DiagonalRTRL.Update) {
        settled = []
        pending = update
    }

    /// S_t, part by part.
    public var parts: [Tensor] {
        get { pending?.values() ?? settled }
        set {
            settled = newValue
            pending = nil
        }
    }

    /// The parts, moved out and this left empty: for a step that updates them
    /// in place (no other reference to their storage remains here).
    mutating func take() -> [Tensor] {
        let parts = parts
        self = Sensitivities([])
        return parts
    }

    /// B, the number of sequences carried.
    public var batch: Int { pending?.batch ?? settled.first?.shape[0] ?? 0 }

    /// Number of Float32 values carried (memory: 4 bytes each).
    public var count: Int { parts.reduce(0) { $0 + $1.count } }

    /// Zeros the sensitivities of sequences that start a new episode: the new
    /// state does not depend on the parameters through the old one.
    /// - Parameter starts: (B) flags.
    public func reset(where starts: [Bool]) -> Sensitivities {
        precondition(starts.count == batch, "\(starts.count) reset flags for sensitivities of batch \(batch)")
        guard starts.contains(true) else { return self }
        return Sensitivities(parts.map { part in
            var part = part.detached
            let rowSize = part.count / batch
            part.withUnsafeMutableBufferPointer { p in
                for b in 0..<batch where starts[b] {
                    for i in (b * rowSize)..<((b + 1) * rowSize) { p[i] = 0 }
                }
            }
            return part
        })
    }
}
