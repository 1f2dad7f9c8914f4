import ReverieEnvs
import ReverieWorldModels

/// What a world-model agent acts with and saves: the world model, and an
/// actor and a critic reading its features f_t = [h_t, z_t] (DreamerV3). As
/// an `ActingPolicy` it filters observations through the world model's
/// posterior (its mode: acting is deterministic given the actor's draw) and
/// feeds each chosen action back in (`remember`), so evaluation, `reverie
/// eval` and the viewer drive it like any other policy.
///
/// Its memory is the world model's state after step t and a_t:
/// [backbone parts…, h_t (B, H), z_t (B, G·K), a_t (B, A)], all zeros at an
/// episode's start. With an acting window of W steps it also holds the last
/// W observations (B, W·O), the actions taken at them (B, W·A) and how many
/// of them belong to this episode (B, 1), and the state is recomputed at
/// every step from those alone, starting from zeros as every replayed
/// training sequence does (Drama acts from such a window). Without one the
/// state is carried through the whole episode, which a model trained on
/// short sequences from a zero state may never have seen.
public final class DreamerNetwork: ActingPolicy {
    public let worldModel: WorldModel
    /// W, observations the acting state is computed from (0: carried through the episode).
    public let actingWindow: Int
    /// f → π's outputs: logits (categorical) or [mean, std] pre-activations (continuous).
    public let actor: NormMLP
    /// f → logits over the return's symlog bins.
    public let critic: NormMLP
    /// An EMA of `critic` (its regulariser's target).
    public let slowCritic: NormMLP
    public let head: ActionHead
    public let twoHot: SymlogTwoHot
    /// Weight of the uniform mixture in a categorical actor (1%).
    public let actorUnimix: Float = 0.01
    /// A Box's centre and half-range (D), mapping [−1, 1] onto it; empty for discrete actions.
    private let boxCentre: Tensor, boxHalfRange: Tensor

    public init(_ config: DreamerConfig, observationSpace: Space, actionSpace: Space, rng: inout RandomGenerator) throws {
        actingWindow = config.actingWindow
        let shape = observationSpace.shape.count > 1 ? observationSpace.shape : [observationSpace.flatCount]
        do { _ = try ObservationCoding.choose(for: shape) } catch {
            throw AgentError.unsupportedSpace(observationSpace, reason: error.reason)
        }
        head = try ActionHead(for: actionSpace)
        let a = head.outputCount
        switch head {
        case .categorical: (boxCentre, boxHalfRange) = (Tensor([Float]()), Tensor([Float]()))
        case .gaussian(let low, let high), .squashed(let low, let high):
            boxCentre = Tensor(zip(low, high).map { ($0 + $1) / 2 })
            boxHalfRange = Tensor(zip(low, high).map { ($1 - $0) / 2 })
        }
        worldModel = WorldModel(config.worldModel, observationShape: shape, binary: Self.isBinary(observationSpace),
                                actionSize: a, rng: &rng)
        let f = config.worldModel.featureSize
        let isCategorical = if case .categorical = head { true } else { false }
        actor = NormMLP(f, hidden: config.actorCriticHidden, isCategorical ? a : 2 * a, rng: &rng)
        critic = NormMLP(f, hidden: config.actorCriticHidden, Self.criticBins, outputInit: .zeros, rng: &rng)
        slowCritic = NormMLP(f, hidden: config.actorCriticHidden, Self.criticBins, outputInit: .zeros, rng: &rng)
        twoHot = SymlogTwoHot(binCount: Self.criticBins)
        for (slow, fast) in zip(slowCritic.parameters, critic.parameters) { slow.storedValue = Tensor(fast.storedValue.scalars, shape: fast.shape) }
    }

    /// Bins of the critic's two-hot distribution over symlog returns (DreamerV3's 255).
    static let criticBins = 255

    public var observationSize: Int { worldModel.observationSize }

    /// Whether every value of the space is 0 or 1: a uint8 box of bounds [0, 1] (MinAtar's grids).
    static func isBinary(_ space: Space) -> Bool {
        guard case .box(let low, let high, _, .uint8) = space else { return false }
        return low.allSatisfy { $0 == 0 } && high.allSatisfy { $0 == 1 }
    }

    // MARK: - Policy and value of features

    /// π(·|f) over B features (B, F).
    public func policy(_ features: Tensor) -> PolicyDistribution {
        let out = actor(features)
        switch head {
        case .categorical:
            return .categorical(OneHotCategorical(logits: out, unimix: actorUnimix).categorical)
        case .gaussian, .squashed:
            // DreamerV3's bounded normal: mean tanh(m) and σ ∈ [0.1, 1] in [−1, 1] units, mapped onto the box.
            let d = boxCentre.count
            let (m, s) = (out.slice(0..<d, axis: 1), out.slice(d..<(2 * d), axis: 1))
            let std = ((s + 2).sigmoid() * 0.9 + 0.1) * boxHalfRange
            return .gaussian(Normal(mean: m.tanh() * boxHalfRange + boxCentre, logStd: std.log()))
        }
    }

    /// (B) the critic's expected return, symexp of its expected bin.
    public func value(_ features: Tensor) -> Tensor { twoHot.expectation(logits: critic(features)) }

    /// (B) the slow critic's.
    public func slowValue(_ features: Tensor) -> Tensor { twoHot.expectation(logits: slowCritic(features)) }

    /// Raw action rows (B·actionWidth) as the world model reads them (B, A):
    /// one-hot for a categorical, the clipped action in [−1, 1] units for a box.
    public func modelActions(_ raw: [Float]) -> Tensor {
        switch head {
        case .categorical(let n):
            return Tensor.oneHot(raw.map { Int($0) }, depth: n)
        case .gaussian(let low, let high), .squashed(let low, let high):
            let d = low.count, clipped = head.envActions(raw)
            return Tensor(clipped.indices.map { i in
                let (lo, hi) = (low[i % d], high[i % d])
                return (2 * clipped[i] - lo - hi) / Swift.max(hi - lo, 1e-6)
            }, shape: [raw.count / d, d])
        }
    }

    // MARK: - ActingPolicy

    public func initialMemory(batch: Int) -> RecurrentState {
        let state = worldModel.initialState(batch: batch), action = Tensor.zeros([batch, worldModel.actionSize])
        guard actingWindow > 0 else { return pack(state, action: action) }
        return pack(state, action: action, window: Window(batch: batch, steps: actingWindow, observationSize: observationSize,
                                                          actionSize: worldModel.actionSize))
    }

    /// The last W observations and the actions taken at them, oldest first.
    struct Window {
        /// (B, W·O) and (B, W·A); the newest action is zero until `remember` writes it.
        var observations: Tensor, actions: Tensor
        /// (B, 1) how many of the W steps belong to the current episode.
        var filled: Tensor

        var parts: [Tensor] { [observations, actions, filled] }
    }

    // MARK: - Acting from a window

    /// The world-model state, the last action and the window a memory holds.
    func unpackWindowed(_ memory: RecurrentState) -> (WorldModel.State, Tensor, Window?) {
        var parts = memory.parts
        var window: Window? = nil
        if actingWindow > 0 {
            window = Window(observations: parts[parts.count - 3], actions: parts[parts.count - 2], filled: parts[parts.count - 1])
            parts.removeLast(3)
        }
        return (WorldModel.State(parts: Array(parts.dropLast())), parts.last!, window)
    }

    /// The world-model state and the last action a memory holds.
    func unpack(_ memory: RecurrentState) -> (WorldModel.State, Tensor) {
        let (state, action, _) = unpackWindowed(memory)
        return (state, action)
    }

    func pack(_ state: WorldModel.State, action: Tensor, window: Window? = nil) -> RecurrentState {
        RecurrentState(state.parts + [action] + (window?.parts ?? []))
    }

    public func step(_ observations: Tensor, memory: RecurrentState) -> (PolicyDistribution, Tensor, RecurrentState) {
        var mode: RandomGenerator? = nil
        return step(observations, memory: memory, sampling: &mode)
    }

    /// One acting step whose posterior latent is drawn with `rng` (nil: each
    /// group's most likely class).
    func step(_ observations: Tensor, memory: RecurrentState,
              sampling rng: inout RandomGenerator?) -> (PolicyDistribution, Tensor, RecurrentState) {
        let (state, action, window) = unpackWindowed(memory)
        let next: WorldModel.State, kept: Window?
        if let window {
            (next, kept) = observeWindow(window, adding: observations, using: &rng)
        } else {
            next = worldModel.observeStep(state, action: action, observation: observations,
                                          resets: Array(repeating: false, count: observations.shape[0]), using: &rng)
            kept = nil
        }
        let f = next.features
        return (policy(f), value(f), pack(next, action: action, window: kept))
    }

    /// The state after x_t from the window with x_t appended: the last W
    /// steps run through the model from zeros, the first of this episode's
    /// steps opening it (as `WorldModel.observe` trains).
    /// - Parameter x: (B, O) x_t.
    private func observeWindow(_ window: Window, adding x: Tensor,
                               using rng: inout RandomGenerator?) -> (WorldModel.State, Window) {
        let (b, w, o, a) = (x.shape[0], actingWindow, observationSize, worldModel.actionSize)
        let shifted = Window(
            observations: Tensor.concatenate([window.observations.slice(o..<(w * o), axis: 1), x], axis: 1),
            actions: Tensor.concatenate([window.actions.slice(a..<(w * a), axis: 1), .zeros([b, a])], axis: 1),
            filled: (window.filled + 1).clamped(0, Float(w)))
        let filled = shifted.filled.scalars.map { Int($0) }
        let isFirst = (0..<b).flatMap { row in (0..<w).map { $0 == w - filled[row] } }
        let seen = worldModel.observe(observations: shifted.observations.reshaped([b, w, o]),
                                      actions: shifted.actions.reshaped([b, w, a]), isFirst: isFirst, sampling: &rng)
        return (seen.last, shifted)
    }

    public func remember(actions: [Float], in memory: RecurrentState) -> RecurrentState {
        let (state, _, window) = unpackWindowed(memory)
        let taken = modelActions(actions)
        guard var window else { return pack(state, action: taken) }
        let (w, a) = (actingWindow, worldModel.actionSize)
        window.actions = Tensor.concatenate([window.actions.slice(0..<((w - 1) * a), axis: 1), taken], axis: 1)
        return pack(state, action: taken, window: window)
    }
}

extension DreamerNetwork.Window {
    /// An empty window of B rows: zeros, none of it this episode's.
    init(batch: Int, steps: Int, observationSize: Int, actionSize: Int) {
        self.init(observations: .zeros([batch, steps * observationSize]), actions: .zeros([batch, steps * actionSize]),
                  filled: .zeros([batch, 1]))
    }
}
