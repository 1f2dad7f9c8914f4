import ReverieEnvs

/// The shape of an actor-critic network, from which PPO builds one for an
/// environment's spaces (and a saved policy is rebuilt before loading).
///
///     PolicySpec(hidden: [64, 64])                          // feedforward actor and critic MLPs
///     PolicySpec(hidden: [64], memory: .gru, memorySize: 64) // a GRU, then MLP heads
///     PolicySpec(hidden: [], memory: .lstm, memorySize: 128, encoder: .nature) // CNN, LSTM, linear heads (CleanRL's ppo_atari_lstm)
public struct PolicySpec: Sendable, Equatable {
    /// Hidden widths of the actor and critic MLPs (after the cell, with memory).
    public var hidden: [Int]
    public var activation: Activation
    /// Squash continuous actions with tanh into the Box (SAC-style) instead of clipping.
    public var squashActions: Bool
    /// The recurrent cell, or nil for a feedforward network.
    public var memory: RecurrentActorCritic.CellKind?
    /// H, the cell's width.
    public var memorySize: Int
    /// Width of a one-layer observation encoder before the cell; 0 for none.
    public var encoderSize: Int
    /// An eLSTM's initial forget-gate bias offset (positive: it starts remembering).
    public var forgetBias: Float
    /// What reads the observations: MLPs, or a convolutional trunk for images.
    public var encoder: Encoder

    /// `auto`: a convolutional trunk for image observations (a Box of shape
    /// (H, W, C): `nature` from side 36 up, `minatar` below), one-hot
    /// features of Discrete and MultiDiscrete observations (POPGym's and
    /// SB3's convention), MLPs otherwise. An MLP over raw pixels or raw
    /// integers is an explicit choice (`mlp`); `impala` is always one
    /// (Espeholt et al. 2018's ResNet, for Procgen-like frames).
    public enum Encoder: String, CaseIterable, Sendable {
        case auto, mlp, nature, minatar, impala
    }

    public init(hidden: [Int] = [64, 64], activation: Activation = .tanh, squashActions: Bool = false,
                memory: RecurrentActorCritic.CellKind? = nil, memorySize: Int = 64, encoderSize: Int = 0,
                forgetBias: Float = 0, encoder: Encoder = .auto) {
        (self.hidden, self.activation, self.squashActions) = (hidden, activation, squashActions)
        (self.memory, self.memorySize, self.encoderSize, self.forgetBias) = (memory, memorySize, encoderSize, forgetBias)
        self.encoder = encoder
    }

    /// The convolutional trunk `encoder` means for `observationSpace`, or nil for MLPs.
    public func imageEncoder(for observationSpace: Space) -> ImageEncoder.Kind? {
        switch encoder {
        case .mlp: return nil
        case .nature: return .nature
        case .minatar: return .minatar
        case .impala: return .impala
        case .auto:
            guard case .box(_, _, let shape, _) = observationSpace, shape.count == 3 else { return nil }
            return ImageEncoder.accepts(.nature, imageShape: shape) ? .nature
                : ImageEncoder.accepts(.minatar, imageShape: shape) ? .minatar : nil
        }
    }

    /// The one-hot features `encoder` means for a Discrete or MultiDiscrete
    /// observation, or nil (a Box, or `mlp` asked for raw integers).
    public func oneHot(for observationSpace: Space) -> OneHotEncoder? {
        guard encoder == .auto else { return nil }
        switch observationSpace {
        case .discrete(let n): return OneHotEncoder(sizes: [n])
        case .multiDiscrete(let nvec): return OneHotEncoder(sizes: nvec)
        case .box: return nil
        }
    }

    /// A freshly initialised network for these spaces.
    /// - Throws: `AgentError.unsupportedSpace` for an action space no head handles.
    public func make(observationSpace: Space, actionSpace: Space, rng: inout RandomGenerator) throws -> any ActorCriticNetwork {
        let head = try ActionHead(for: actionSpace, squash: squashActions)
        let size = observationSpace.flatCount
        if let kind = imageEncoder(for: observationSpace) {
            guard let memory else { return try ConvActorCritic(kind, observationSpace: observationSpace, head: head, rng: &rng) }
            let encoder = try ConvActorCritic.encoder(kind, for: observationSpace, rng: &rng)
            return RecurrentActorCritic(encoder: encoder, observationSize: size, head: head, cell: memory,
                                        memorySize: memorySize, forgetBias: forgetBias, hidden: hidden,
                                        activation: activation, rng: &rng)
        }
        if let oneHot = oneHot(for: observationSpace) {
            guard let memory else {
                return ActorCritic(observationSize: size, encoder: oneHot, head: head, hidden: hidden, activation: activation, rng: &rng)
            }
            let encoder: any ObservationEncoder = encoderSize > 0
                ? ChainedEncoder(oneHot, RecurrentActorCritic.layerEncoder(inputSize: oneHot.outputSize, width: encoderSize,
                                                                           activation: activation, rng: &rng))
                : oneHot
            return RecurrentActorCritic(encoder: encoder, observationSize: size, head: head, cell: memory, memorySize: memorySize,
                                        forgetBias: forgetBias, hidden: hidden, activation: activation, rng: &rng)
        }
        if let memory {
            return RecurrentActorCritic(observationSize: size, head: head, cell: memory, memorySize: memorySize,
                                        encoderSize: encoderSize, forgetBias: forgetBias,
                                        hidden: hidden, activation: activation, rng: &rng)
        }
        return ActorCritic(observationSize: size, head: head, hidden: hidden, activation: activation, rng: &rng)
    }
}
