/// POPGym's deck (popgym/core/deck.py): `decks` × 52 cards, shuffled at each
/// episode start and dealt one at a time. Card c has suit c mod 4, colour
/// c mod 2 and rank ⌊c / 4⌋ mod 13, as POPGym's tiled index arrays.
struct CardDeck {
    enum Attribute: String { case colors, suits, ranks }

    let decks: Int
    private(set) var order: [Int]
    /// Number of cards dealt so far; `remaining` are left.
    private(set) var dealt = 0

    init(decks: Int) {
        self.decks = decks
        order = Array(0..<(52 * decks))
    }

    var count: Int { order.count }
    var remaining: Int { count - dealt }

    mutating func shuffle(using rng: inout RandomGenerator) {
        let p = rng.permutation(count)
        order = p
        dealt = 0
    }

    /// Deals the next card and returns it.
    mutating func deal() -> Int {
        precondition(dealt < count, "the deck is empty")
        dealt += 1
        return order[dealt - 1]
    }

    /// The i-th dealt card (0 = first).
    func dealtCard(_ i: Int) -> Int { order[i] }

    static func suit(_ card: Int) -> Int { card % 4 }

    /// The card's value for an attribute, and how many distinct values it has.
    static func value(_ card: Int, _ attribute: Attribute) -> Int {
        switch attribute {
        case .colors: card % 2
        case .suits: card % 4
        case .ranks: (card / 4) % 13
        }
    }

    static func distinctValues(_ attribute: Attribute) -> Int {
        switch attribute {
        case .colors: 2
        case .suits: 4
        case .ranks: 13
        }
    }
}

/// POPGym's three difficulty levels, chosen with `difficulty=easy|medium|hard`.
public enum Difficulty: String, CaseIterable, Sendable {
    case easy, medium, hard

    static func parse(_ options: inout EnvironmentOptions) throws -> Difficulty {
        Difficulty(rawValue: try options.choice("difficulty", default: "easy", from: allCases.map(\.rawValue)))!
    }
}
