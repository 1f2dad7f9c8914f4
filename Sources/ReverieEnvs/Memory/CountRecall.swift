/// POPGym's CountRecall (popgym/envs/count_recall.py): each step deals a
/// value card and a query card from two decks; the agent must say how many
/// value cards of the previous query's kind (colour, suit or rank) have been
/// dealt so far.
///
/// - Observation: `MultiDiscrete([m, m])`, [value, query] with m kinds.
/// - Action: `Discrete(M + 1)`, a count 0…M, M = cards per kind (52·decks / m).
/// - Reward: ±1/(52·decks − 1) for a right/wrong count. The return lies in
///   [−1, 1]: an oracle earns 1; a uniformly random count is right with
///   probability 1/(M + 1) whatever the true count, so its expected return is
///   2/(M + 1) − 1.
/// - Length: 52·decks − 1 steps, then `terminated`.
/// - Levels: easy 1 deck of colours (M = 26), medium 2 decks of suits
///   (M = 26), hard 4 decks of ranks (M = 16).
public final class CountRecall: Environment {
    public let name: String
    public let observationSpace: Space
    public let actionSpace: Space
    private let attribute: CardDeck.Attribute
    private var values: CardDeck, queries: CardDeck
    private var counts: [Int]
    private var query = 0
    private var rng = ClassicControl.unseededGenerator()
    private var needsReset = true

    public init(difficulty: Difficulty = .easy) {
        let (decks, attribute): (Int, CardDeck.Attribute) =
            switch difficulty { case .easy: (1, .colors); case .medium: (2, .suits); case .hard: (4, .ranks) }
        self.attribute = attribute
        values = CardDeck(decks: decks)
        queries = CardDeck(decks: decks)
        let kinds = CardDeck.distinctValues(attribute)
        counts = Array(repeating: 0, count: kinds)
        observationSpace = .multiDiscrete([kinds, kinds])
        actionSpace = .discrete(52 * decks / kinds + 1)
        name = "CountRecall?difficulty=\(difficulty.rawValue)"
    }

    public func reset(seed: UInt64?) -> [Float] {
        if let seed { rng = RandomGenerator(seed: seed) }
        values.shuffle(using: &rng)
        queries.shuffle(using: &rng)
        for i in counts.indices { counts[i] = 0 }
        needsReset = false
        return deal()
    }

    public func step(_ action: [Float]) throws -> Step {
        try validate(action)
        guard !needsReset else { throw EnvironmentError.stepAfterEnd(environment: name) }
        let scale = 1 / Float(values.count - 1)
        let reward = Int(action[0]) == target ? scale : -scale
        let observation = deal()
        let terminated = values.remaining == 0
        needsReset = terminated
        return Step(observation: observation, reward: reward, terminated: terminated)
    }

    /// The count the agent must answer now.
    public var target: Int { counts[query] }

    private func deal() -> [Float] {
        let value = CardDeck.value(values.deal(), attribute)
        query = CardDeck.value(queries.deal(), attribute)
        counts[value] += 1
        return [Float(value), Float(query)]
    }

    public func render() -> Frame? { nil }
}
