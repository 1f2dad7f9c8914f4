/// One MinAtar game with what the `minatar` package's `Environment` keeps
/// around it: its generator, the previous action and whether the episode
/// ended. `MinAtar` is one lane behind the `Environment` protocol;
/// `MinAtarVector` steps N lanes as one batch.
///
/// Sticky actions: with probability `stickiness` the previous action repeats
/// instead, decided by a draw from the game's own generator first thing in
/// each step (drawn even at stickiness 0, as the package draws it).
/// `reset(seed:)` re-seeds the generator as `RandomState(seed)` does (seeds
/// are taken modulo 2^32); the previous action survives resets, as in the
/// package.
struct MinAtarLane<Game: MinAtarGame> {
    private(set) var game: Game
    private var random = NumpyRandomState(seed: 0)
    private var lastAction = MinAtarAction.noop
    /// The episode reached its terminal state (a new one needs `reset`).
    private(set) var ended = true

    /// Boolean (10, 10, C) cells, served as uint8 0/1.
    static var observationSpace: Space { .box(low: 0, high: 1, shape: [10, 10, Game.channels], dtype: .uint8) }
    /// 100·C, one observation's numbers.
    static var observationSize: Int { 100 * Game.channels }

    init(ramping: Bool) { game = Game(ramping: ramping) }

    mutating func reset(seed: UInt64?) {
        if let seed { random = NumpyRandomState(seed: UInt32(truncatingIfNeeded: seed)) }
        game.reset(using: &random)
        ended = false
    }

    /// One frame under `action` (the package's `Environment.act`): the points scored and whether the game is over.
    @inline(__always)
    mutating func step(_ action: MinAtarAction, stickiness: Double) -> (reward: Int, terminal: Bool) {
        var chosen = action
        if random.uniform() < stickiness { chosen = lastAction }
        lastAction = chosen
        let (reward, terminal) = game.act(chosen, using: &random)
        ended = terminal
        return (reward, terminal)
    }

    /// Writes the observation, (10, 10, C) row-major, over `observationSize` numbers at `cells`.
    @inline(__always)
    func draw(into cells: UnsafeMutablePointer<Float>) {
        cells.update(repeating: 0, count: Self.observationSize)
        game.draw(into: MinAtarGrid(channels: Game.channels, cells: cells))
    }

    /// The previous action, whether the episode ended, the generator and the game, as words.
    var snapshot: [UInt64] {
        let game = game.state
        return [UInt64(lastAction.rawValue), ended ? 1 : 0] + random.state + [UInt64(game.count)]
            + game.map { UInt64(bitPattern: Int64($0)) }
    }

    /// Takes a `snapshot`'s words from the front of `words`; on a misfit, throws naming `name` and changes nothing.
    mutating func restore(_ words: inout ArraySlice<UInt64>, name: String) throws {
        let head = try words.take(2 + random.state.count + 1, for: name)
        let count = Int(head.last!)
        guard count <= 10_000 else { throw SnapshotError.mismatch(name, "a game state of \(count) numbers") }
        let values = try words.take(count, for: name).map { Int(Int64(bitPattern: $0)) }
        var restored = game
        guard let action = MinAtarAction(rawValue: Int(head[0])),
              let generator = NumpyRandomState(state: Array(head[2 ..< head.count - 1])), restored.restore(values) else {
            throw SnapshotError.mismatch(name, "the words are not a \(Game.name) state")
        }
        (game, lastAction, ended, random) = (restored, action, head[1] != 0, generator)
    }

    /// An observation drawn as a picture: 16-pixel cells, each channel its own
    /// colour (the last one drawn on top), black where nothing is. A cell's
    /// channel counts as set from 0.5 on, so a world model's reconstruction
    /// (a probability per cell) is drawn as its most likely grid.
    static func frame(_ cells: [Float]) -> Frame {
        let cell = 16, c = Game.channels
        let palette = Self.palette   // a generic type has no stored statics: built once per frame
        var frame = Frame(width: 10 * cell, height: 10 * cell, fill: (0, 0, 0))
        for y in 0..<10 {
            for x in 0..<10 {
                guard let channel = (0..<c).last(where: { cells[(y * 10 + x) * c + $0] >= 0.5 }) else { continue }
                let colour = palette[channel % palette.count]
                for py in (y * cell)..<((y + 1) * cell) {
                    for px in (x * cell)..<((x + 1) * cell) {
                        let i = 3 * (py * frame.width + px)
                        (frame.pixels[i], frame.pixels[i + 1], frame.pixels[i + 2]) = colour
                    }
                }
            }
        }
        return frame
    }

    private static var palette: [(UInt8, UInt8, UInt8)] {
        [(230, 230, 230), (230, 80, 60), (90, 90, 200), (240, 200, 60), (80, 190, 90), (200, 90, 200),
         (60, 200, 210), (250, 150, 60), (150, 110, 70), (120, 120, 120)]
    }
}
