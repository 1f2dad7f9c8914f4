/// POPGym's RepeatFirst (popgym/envs/repeat_first.py): cards are dealt one
/// per step and at every step the agent must name the suit of the first card
/// of the episode.
///
/// - Observation: `Discrete(4)`, the suit of the card just dealt.
/// - Action: `Discrete(4)`, a suit.
/// - Reward: ±1/(52·decks − 1) per step for the right/wrong suit. The return
///   lies in [−1, 1]: an oracle earns 1, a random policy −1/2 in expectation.
/// - Length: 52·decks − 1 steps, then `terminated`.
/// - Levels: easy 1 deck, medium 8, hard 16.
public final class RepeatFirst: Environment {
    public let name: String
    public let observationSpace = Space.discrete(4)
    public let actionSpace = Space.discrete(4)
    private var deck: CardDeck
    private var rng = ClassicControl.unseededGenerator()
    private var needsReset = true
    /// The first card's suit, the answer at every step.
    public private(set) var firstSuit = 0

    public init(difficulty: Difficulty = .easy) {
        let decks = switch difficulty { case .easy: 1; case .medium: 8; case .hard: 16 }
        deck = CardDeck(decks: decks)
        name = "RepeatFirst?difficulty=\(difficulty.rawValue)"
    }

    public func reset(seed: UInt64?) -> [Float] {
        if let seed { rng = RandomGenerator(seed: seed) }
        deck.shuffle(using: &rng)
        firstSuit = CardDeck.suit(deck.deal())
        needsReset = false
        return [Float(firstSuit)]
    }

    public func step(_ action: [Float]) throws -> Step {
        try validate(action)
        guard !needsReset else { throw EnvironmentError.stepAfterEnd(environment: name) }
        let scale = 1 / Float(deck.count - 1)
        let reward = Int(action[0]) == firstSuit ? scale : -scale
        let terminated = deck.remaining == 1
        let card = deck.deal()
        needsReset = terminated
        return Step(observation: [Float(CardDeck.suit(card))], reward: reward, terminated: terminated)
    }

    public func render() -> Frame? { nil }
}
