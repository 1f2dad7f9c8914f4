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
/// episode's start.
public final class DreamerNetwork: ActingPolicy {
    public let worldModel: WorldModel
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
        pack(worldModel.initialState(batch: batch), action: .zeros([batch, worldModel.actionSize]))
    }

    /// The world-model state and the last action a memory holds.
    func unpack(_ memory: RecurrentState) -> (WorldModel.State, Tensor) {
        (WorldModel.State(parts: Array(memory.parts.dropLast())), memory.parts.last!)
    }

    func pack(_ state: WorldModel.State, action: Tensor) -> RecurrentState { RecurrentState(state.parts + [action]) }

    public func step(_ observations: Tensor, memory: RecurrentState) -> (PolicyDistribution, Tensor, RecurrentState) {
        var mode: RandomGenerator? = nil
        return step(observations, memory: memory, sampling: &mode)
    }

    /// One acting step whose posterior latent is drawn with `rng` (nil: each
    /// group's most likely class).
    func step(_ observations: Tensor, memory: RecurrentState,
              sampling rng: inout RandomGenerator?) -> (PolicyDistribution, Tensor, RecurrentState) {
        let (state, action) = unpack(memory)
        let next = worldModel.observeStep(state, action: action, observation: observations,
                                          resets: Array(repeating: false, count: observations.shape[0]), using: &rng)
        let f = next.features
        return (policy(f), value(f), pack(next, action: action))
    }

    public func remember(actions: [Float], in memory: RecurrentState) -> RecurrentState {
        let (state, _) = unpack(memory)
        return pack(state, action: modelActions(actions))
    }
}
