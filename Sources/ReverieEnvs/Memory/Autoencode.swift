/// POPGym's Autoencode (popgym/envs/autoencode.py): the agent watches a
/// shuffled deck dealt one card per step, then must recite the suits in
/// reverse order (last card first).
///
/// - Observation: `MultiDiscrete([2, 4])`, [mode, suit] — POPGym's
///   `Tuple(Discrete(2), Discrete(4))` flattened. Mode is 1 while watching and
///   0 once the last card has been shown (that last card is shown with mode 0:
///   recital starts at the next step); during recital the suit shown is 0.
/// - Action: `Discrete(4)`, ignored while watching.
/// - Reward: 0 while watching; ±1/(52·decks) per recited card. The return lies
///   in [−1, 1]: an oracle earns 1, a random policy −1/2 in expectation.
/// - Length: 2·52·decks − 1 steps, then `terminated`.
/// - Levels: easy 1 deck, medium 2, hard 3.
public final class Autoencode: Environment {
    public let name: String
    public let observationSpace = Space.multiDiscrete([2, 4])
    public let actionSpace = Space.discrete(4)
    private var deck: CardDeck
    /// Suits still to recite, last dealt at the end (a stack).
    private var hand: [Int] = []
    private var watching = true
    private var rng = ClassicControl.unseededGenerator()
    private var needsReset = true

    public init(difficulty: Difficulty = .easy) {
        let decks = switch difficulty { case .easy: 1; case .medium: 2; case .hard: 3 }
        deck = CardDeck(decks: decks)
        hand.reserveCapacity(deck.count)
        name = "Autoencode?difficulty=\(difficulty.rawValue)"
    }

    public func reset(seed: UInt64?) -> [Float] {
        if let seed { rng = RandomGenerator(seed: seed) }
        deck.shuffle(using: &rng)
        hand.removeAll(keepingCapacity: true)
        hand.append(CardDeck.suit(deck.deal()))
        watching = true
        needsReset = false
        return [1, Float(hand[0])]
    }

    public func step(_ action: [Float]) throws -> Step {
        try validate(action)
        guard !needsReset else { throw EnvironmentError.stepAfterEnd(environment: name) }
        if watching {
            hand.append(CardDeck.suit(deck.deal()))
            if deck.remaining == 0 { watching = false }
            return Step(observation: [watching ? 1 : 0, Float(hand.last!)], reward: 0, terminated: false)
        }
        let scale = 1 / Float(deck.count)
        let terminated = hand.count == 1
        let reward = Int(action[0]) == hand.removeLast() ? scale : -scale
        needsReset = terminated
        return Step(observation: [0, 0], reward: reward, terminated: terminated)
    }

    /// The suit to recite now, or nil while watching.
    public var target: Int? { watching ? nil : hand.last }

    public func render() -> Frame? { nil }
}
