import ReverieRecurrent

/// A recurrent cell shared by actor and critic, each an MLP on the cell's
/// output (CleanRL's LSTM PPO; sb3-contrib's RecurrentPPO with `shared_lstm`):
///
///     observation → cell (memory h) → actor MLP → π(·|h)
///                                   ↘ critic MLP → V(h)
///
/// The cell's weights are orthogonal (gain 1) with zero biases, as CleanRL
/// initialises its LSTM; the MLPs as `ActorCritic`'s.
public final class RecurrentActorCritic: ActorCriticNetwork {
    public let cell: any RecurrentCell
    public let actor: MLP
    public let critic: MLP
    /// (A) state-independent log σ of a continuous head; nil for a categorical one.
    public let logStd: Parameter?
    public let head: ActionHead

    public enum CellKind: String, Sendable, CaseIterable { case gru, lstm }

    /// - Parameters:
    ///   - memorySize: H, the cell's width.
    ///   - hidden: hidden widths of the actor and critic MLPs after the cell (may be empty).
    public init(observationSize: Int, head: ActionHead, cell kind: CellKind, memorySize: Int, hidden: [Int] = [64],
                activation: Activation = .tanh, initialLogStd: Float = 0, rng: inout RandomGenerator) {
        self.head = head
        switch kind {
        case .gru: cell = GRUCell(inputSize: observationSize, hiddenSize: memorySize, weightInit: .orthogonal(gain: 1), rng: &rng)
        case .lstm: cell = LSTMCell(inputSize: observationSize, hiddenSize: memorySize, weightInit: .orthogonal(gain: 1), rng: &rng)
        }
        (actor, critic, logStd) = makeActorAndCritic(inputSize: memorySize, head: head, hidden: hidden,
                                                     activation: activation, initialLogStd: initialLogStd, rng: &rng)
    }

    public var observationSize: Int { cell.inputSize }

    public func initialMemory(batch: Int) -> RecurrentState { cell.initialState(batch: batch) }

    public func step(_ observations: Tensor, memory: RecurrentState) -> (PolicyDistribution, Tensor, RecurrentState) {
        let (h, next) = cell.step(observations, memory)
        let (pi, values) = heads(h)
        return (pi, values, next)
    }

    public func unroll(_ observations: Tensor, from memory: RecurrentState, starts: [Bool]) -> (PolicyDistribution, Tensor) {
        let (steps, batch) = (observations.shape[0], observations.shape[1])
        let (h, _) = cell.scan(observations, from: memory, resets: starts)
        return heads(h.reshaped([steps * batch, cell.hiddenSize]))
    }

    public func advance(_ observations: Tensor, from memory: RecurrentState, starts: [Bool]) -> RecurrentState {
        cell.scan(observations, from: memory, resets: starts).state
    }

    /// π and V from the cell's outputs (R, H).
    private func heads(_ h: Tensor) -> (PolicyDistribution, Tensor) {
        actorCriticOutputs(actor: actor, critic: critic, head: head, logStd: logStd, h)
    }
}
