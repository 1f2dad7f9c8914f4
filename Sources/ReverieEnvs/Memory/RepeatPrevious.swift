/// POPGym's RepeatPrevious (popgym/envs/repeat_previous.py): cards are dealt
/// one per step and the agent must name the suit of the card it saw k − 1
/// steps before the current one (k = 1 repeats the current card).
///
/// - Observation: `Discrete(4)`, the suit of the card just dealt.
/// - Action: `Discrete(4)`, a suit.
/// - Reward: from the step at which k cards have been seen, ±1/(52·decks − k)
///   for a right/wrong suit; 0 before. The return lies in [−1, 1]: an oracle
///   earns 1, a uniformly random policy −1/2 in expectation (right with
///   probability 1/4: ¼ − ¾ per rewarded step).
/// - Length: 52·decks − 1 steps, then `terminated`.
/// - Levels: easy 1 deck, k = 4; medium 2 decks, k = 32; hard 3 decks, k = 64.
public final class RepeatPrevious: Environment {
    public let name: String
    public let observationSpace = Space.discrete(4)
    public let actionSpace = Space.discrete(4)
    public let k: Int
    private var deck: CardDeck
    private var rng = ClassicControl.unseededGenerator()
    private var needsReset = true

    public init(difficulty: Difficulty = .easy) {
        let (decks, k) = switch difficulty { case .easy: (1, 4); case .medium: (2, 32); case .hard: (3, 64) }
        deck = CardDeck(decks: decks)
        self.k = k
        name = "RepeatPrevious?difficulty=\(difficulty.rawValue)"
    }

    public func reset(seed: UInt64?) -> [Float] {
        if let seed { rng = RandomGenerator(seed: seed) }
        deck.shuffle(using: &rng)
        needsReset = false
        return [Float(CardDeck.suit(deck.deal()))]
    }

    public func step(_ action: [Float]) throws -> Step {
        try validate(action)
        guard !needsReset else { throw EnvironmentError.stepAfterEnd(environment: name) }
        let scale = 1 / Float(deck.count - k)
        var reward: Float = 0
        if deck.dealt >= k {
            reward = Int(action[0]) == CardDeck.suit(deck.dealtCard(deck.dealt - k)) ? scale : -scale
        }
        let terminated = deck.remaining == 1
        let card = deck.deal()
        needsReset = terminated
        return Step(observation: [Float(CardDeck.suit(card))], reward: reward, terminated: terminated)
    }

    /// The suit the agent must name now, once k cards are dealt (for oracles and tests).
    public var target: Int? { deck.dealt >= k ? CardDeck.suit(deck.dealtCard(deck.dealt - k)) : nil }

    public func render() -> Frame? { nil }
}
