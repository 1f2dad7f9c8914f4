import ReverieRecurrent

/// A recurrent cell shared by actor and critic, each an MLP on the cell's
/// output (CleanRL's LSTM PPO; sb3-contrib's RecurrentPPO with `shared_lstm`),
/// optionally behind an observation encoder: one layer (the RTRL agents'
/// feedforward stem, Irie et al. 2024) or a convolutional trunk over images
/// (CleanRL's `ppo_atari_lstm`: the Nature CNN, then the cell):
///
///     observation → [encoder] → cell (memory) → actor MLP → π(·|h)
///                                             ↘ critic MLP → V(h)
///
/// GRU and LSTM weights are orthogonal (gain 1) with zero biases, as CleanRL
/// initialises its LSTM; the element-wise cells keep their papers'
/// initialisations; the MLPs are `ActorCritic`'s.
public final class RecurrentActorCritic: ActorCriticNetwork {
    /// Linear + activation, or an `ImageEncoder`, on the observation; nil to feed the cell the observation itself.
    public let encoder: (any ObservationEncoder)?
    public let cell: any RecurrentCell
    public let actor: MLP
    public let critic: MLP
    /// (A) state-independent log σ of a continuous head; nil for a categorical one.
    public let logStd: Parameter?
    public let head: ActionHead

    /// The recurrent cell. eLSTM, minGRU and LRU are element-wise and can
    /// also learn by exact RTRL; GRU, LSTM and the vanilla RNN are dense (the
    /// GRU and the RNN can learn online by SnAp-1 or UORO).
    public enum CellKind: String, Sendable, CaseIterable {
        case gru, lstm, rnn, elstm, mingru, lru

        public var isElementwise: Bool { self == .elstm || self == .mingru || self == .lru }
        /// Dense cells with online approximations of RTRL (SnAp-1, UORO).
        public var hasOnlineApproximations: Bool { self == .rnn || self == .gru }
    }

    /// - Parameters:
    ///   - memorySize: the cell's width (an LRU's number of complex state units; its output keeps its input's width).
    ///   - encoderSize: width of a one-layer encoder's output, or 0 for none.
    ///   - forgetBias: added to an eLSTM's forget-gate bias at the start (positive: it starts remembering).
    ///   - hidden: hidden widths of the actor and critic MLPs after the cell (may be empty).
    public convenience init(observationSize: Int, head: ActionHead, cell kind: CellKind, memorySize: Int, encoderSize: Int = 0,
                            forgetBias: Float = 0, hidden: [Int] = [64], activation: Activation = .tanh,
                            initialLogStd: Float = 0, rng: inout RandomGenerator) {
        let encoder = encoderSize > 0
            ? Self.layerEncoder(inputSize: observationSize, width: encoderSize, activation: activation, rng: &rng)
            : nil
        self.init(encoder: encoder, observationSize: observationSize, head: head, cell: kind, memorySize: memorySize,
                  forgetBias: forgetBias, hidden: hidden, activation: activation, initialLogStd: initialLogStd, rng: &rng)
    }

    /// The one-layer encoder `encoderSize` asks for: a dense layer of `width`
    /// with its activation, initialised orthogonally with gain √2.
    public static func layerEncoder(inputSize: Int, width: Int, activation: Activation, rng: inout RandomGenerator) -> MLP {
        MLP(inputSize, hidden: [], width, activation: activation, activateOutput: true,
            weightInit: .orthogonal(gain: Float(2).squareRoot()), rng: &rng)
    }

    /// A cell behind `encoder` (already initialised), or behind nothing.
    /// - Parameter observationSize: D, read only without an encoder.
    public init(encoder: (any ObservationEncoder)?, observationSize: Int, head: ActionHead, cell kind: CellKind,
                memorySize: Int, forgetBias: Float = 0, hidden: [Int] = [64], activation: Activation = .tanh,
                initialLogStd: Float = 0, rng: inout RandomGenerator) {
        self.head = head
        self.encoder = encoder
        let input = encoder?.outputSize ?? observationSize
        switch kind {
        case .gru: cell = GRUCell(inputSize: input, hiddenSize: memorySize, weightInit: .orthogonal(gain: 1), rng: &rng)
        case .lstm: cell = LSTMCell(inputSize: input, hiddenSize: memorySize, weightInit: .orthogonal(gain: 1), rng: &rng)
        case .rnn: cell = RNNCell(inputSize: input, hiddenSize: memorySize, rng: &rng)
        case .elstm: cell = ELSTMCell(inputSize: input, hiddenSize: memorySize, forgetBias: forgetBias, rng: &rng)
        case .mingru: cell = MinGRUCell(inputSize: input, hiddenSize: memorySize, rng: &rng)
        case .lru: cell = LRUCell(inputSize: input, stateSize: memorySize, rng: &rng)
        }
        (actor, critic, logStd) = makeActorAndCritic(inputSize: cell.hiddenSize, head: head, hidden: hidden,
                                                     activation: activation, initialLogStd: initialLogStd, rng: &rng)
    }

    public var observationSize: Int { encoder?.inputSize ?? cell.inputSize }

    public func initialMemory(batch: Int) -> RecurrentState { cell.initialState(batch: batch) }

    public func step(_ observations: Tensor, memory: RecurrentState) -> (PolicyDistribution, Tensor, RecurrentState) {
        let (h, next) = cell.step(encode(observations), memory)
        let (pi, values) = heads(h)
        return (pi, values, next)
    }

    /// One step whose cell is stepped by `cellStep` (a learning rule's step:
    /// RTRL's `realTimeStep`, SnAp-1's, UORO's), given the encoded
    /// observations; the encoder below it then learns through this step only.
    public func step(_ observations: Tensor, cellStep: (Tensor) -> (output: Tensor, state: RecurrentState))
        -> (PolicyDistribution, Tensor, RecurrentState)
    {
        let (h, next) = cellStep(encode(observations))
        let (pi, values) = heads(h)
        return (pi, values, next)
    }

    public func unroll(_ observations: Tensor, from memory: RecurrentState, starts: [Bool]) -> (PolicyDistribution, Tensor) {
        let (steps, batch) = (observations.shape[0], observations.shape[1])
        let (h, _) = cell.scan(encode(observations), from: memory, resets: starts)
        return heads(h.reshaped([steps * batch, cell.hiddenSize]))
    }

    public func advance(_ observations: Tensor, from memory: RecurrentState, starts: [Bool]) -> RecurrentState {
        cell.scan(encode(observations), from: memory, resets: starts).state
    }

    /// The cell's input (…, F) from observations (…, D).
    private func encode(_ observations: Tensor) -> Tensor {
        guard let encoder else { return observations }
        let leading = Array(observations.shape.dropLast())
        return encoder(observations.reshaped([-1, encoder.inputSize])).reshaped(leading + [encoder.outputSize])
    }

    /// π and V from the cell's outputs (R, H).
    private func heads(_ h: Tensor) -> (PolicyDistribution, Tensor) {
        actorCriticOutputs(actor: actor, critic: critic, head: head, logStd: logStd, h)
    }
}
