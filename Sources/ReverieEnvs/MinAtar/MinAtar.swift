/// A MinAtar game as an `Environment`, with the `minatar` package's Gymnasium
/// semantics (`MinAtar/<Game>-v0`, full action set; `-v1`, the minimal one):
/// sticky actions (with probability `stickiness` the previous action repeats,
/// drawn from the game's own generator first thing in each step),
/// difficulty ramping, and boolean (10, 10, C) observations, as uint8 0/1
/// here. `reset(seed:)` re-seeds the generator as `RandomState(seed)` does
/// (seeds are taken modulo 2^32); the previous action survives resets, as in
/// the package.
final class MinAtar<Game: MinAtarGame>: Environment {
    let name: String
    let observationSpace: Space
    let actionSpace: Space
    /// The package's action index behind each of ours.
    let actionSet: [MinAtarAction]
    let stickiness: Double
    private var game: Game
    private var random = NumpyRandomState(seed: 0)
    private var lastAction = MinAtarAction.noop
    private var ended = true

    init(minimalActions: Bool, stickiness: Double = 0.1, ramping: Bool = true, name: String) {
        self.name = name
        actionSet = minimalActions ? Game.minimalActions : MinAtarAction.allCases
        observationSpace = .box(low: 0, high: 1, shape: [10, 10, Game.channels], dtype: .uint8)
        actionSpace = .discrete(actionSet.count)
        self.stickiness = stickiness
        game = Game(ramping: ramping)
    }

    func reset(seed: UInt64?) -> [Float] {
        if let seed { random = NumpyRandomState(seed: UInt32(truncatingIfNeeded: seed)) }
        game.reset(using: &random)
        ended = false
        return observation()
    }

    func step(_ action: [Float]) throws -> Step {
        try validate(action)
        guard !ended else { throw EnvironmentError.stepAfterEnd(environment: name) }
        var chosen = actionSet[Int(action[0])]
        if random.uniform() < stickiness { chosen = lastAction }
        lastAction = chosen
        let (reward, terminal) = game.act(chosen, using: &random)
        ended = terminal
        return Step(observation: observation(), reward: Float(reward), terminated: terminal)
    }

    private func observation() -> [Float] { MinAtarGrid.drawing(game) }

    /// 16-pixel cells, each channel its own colour (the last one drawn on top), black where nothing is.
    func render() -> Frame? {
        let cell = 16, c = Game.channels
        let cells = observation()
        var frame = Frame(width: 10 * cell, height: 10 * cell, fill: (0, 0, 0))
        for y in 0..<10 {
            for x in 0..<10 {
                guard let channel = (0..<c).last(where: { cells[(y * 10 + x) * c + $0] != 0 }) else { continue }
                let colour = Self.palette[channel % Self.palette.count]
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

extension MinAtar: Snapshotting {
    /// The previous action, whether the episode ended, the generator and the game.
    var snapshot: [UInt64]? {
        let game = game.state
        return [UInt64(lastAction.rawValue), ended ? 1 : 0] + random.state + [UInt64(game.count)]
            + game.map { UInt64(bitPattern: Int64($0)) }
    }

    func restore(_ words: inout ArraySlice<UInt64>) throws {
        let head = try words.take(2 + random.state.count + 1, for: name)
        let count = Int(head.last!)
        guard count <= 10_000 else { throw SnapshotError.mismatch(name, "a game state of \(count) numbers") }
        let values = try words.take(count, for: name).map { Int(Int64(bitPattern: $0)) }
        guard let action = MinAtarAction(rawValue: Int(head[0])),
              let generator = NumpyRandomState(state: Array(head[2 ..< head.count - 1])), game.restore(values) else {
            throw SnapshotError.mismatch(name, "the words are not a \(Game.name) state")
        }
        (lastAction, ended, random) = (action, head[1] != 0, generator)
    }
}

/// MinAtar's games as registry entries: `MinAtar/<Game>-v0` (all six
/// actions) and `-v1` (the minimal set), with the package's defaults and
/// options for the settings other implementations use — `sticky=0` turns
/// sticky actions off, `ramping=0` difficulty ramping; a step cap like
/// gymnax's is `max_episode_steps`.
public enum MinAtarGames {
    public static let registrations: [Registration] =
        registrations(Asterix.self) + registrations(Breakout.self) + registrations(Freeway.self)
        + registrations(Seaquest.self) + registrations(SpaceInvaders.self)

    private static func registrations<Game: MinAtarGame>(_ game: Game.Type) -> [Registration] {
        [false, true].map { minimal in
            Registration("MinAtar/\(Game.name)-v\(minimal ? 1 : 0)",
                         summary: "MinAtar \(Game.summary) (\(minimal ? "minimal action set" : "all 6 actions"); options: sticky, ramping)",
                         maxEpisodeSteps: nil) { options in
                var options = options
                let env = MinAtar<Game>(minimalActions: minimal,
                                        stickiness: try options.double("sticky", default: 0.1, in: 0...1),
                                        ramping: try options.int("ramping", default: 1, in: 0...1) == 1,
                                        name: options.environment)
                try options.finish()
                return env
            }
        }
    }
}
