/// A MinAtar game as an `Environment`, with the `minatar` package's Gymnasium
/// semantics (`MinAtar/<Game>-v0`, full action set; `-v1`, the minimal one):
/// sticky actions, difficulty ramping, and boolean (10, 10, C) observations,
/// as uint8 0/1 here (see `MinAtarLane`). `MinAtarVector` steps N of them as
/// one batch.
final class MinAtar<Game: MinAtarGame>: Environment {
    let name: String
    let observationSpace: Space
    let actionSpace: Space
    /// The package's action index behind each of ours.
    let actionSet: [MinAtarAction]
    let stickiness: Double
    private var lane: MinAtarLane<Game>

    init(minimalActions: Bool, stickiness: Double = 0.1, ramping: Bool = true, name: String) {
        self.name = name
        actionSet = minimalActions ? Game.minimalActions : MinAtarAction.allCases
        observationSpace = MinAtarLane<Game>.observationSpace
        actionSpace = .discrete(actionSet.count)
        self.stickiness = stickiness
        lane = MinAtarLane(ramping: ramping)
    }

    func reset(seed: UInt64?) -> [Float] {
        lane.reset(seed: seed)
        return observation()
    }

    func step(_ action: [Float]) throws -> Step {
        try validate(action)
        guard !lane.ended else { throw EnvironmentError.stepAfterEnd(environment: name) }
        let (reward, terminal) = lane.step(actionSet[Int(action[0])], stickiness: stickiness)
        return Step(observation: observation(), reward: Float(reward), terminated: terminal)
    }

    private func observation() -> [Float] {
        [Float](unsafeUninitializedCapacity: MinAtarLane<Game>.observationSize) { buffer, count in
            lane.draw(into: buffer.baseAddress!)
            count = buffer.count
        }
    }

    func render() -> Frame? { MinAtarLane<Game>.frame(observation()) }
}

/// Any (10, 10, C) grid draws as `render()` draws the game's: real
/// observations and a world model's reconstructions and dreams alike.
extension MinAtar: ObservationDrawing {
    func draw(observation: [Float]) -> Frame { MinAtarLane<Game>.frame(observation) }
}

extension MinAtar: Snapshotting {
    /// The previous action, whether the episode ended, the generator and the game.
    var snapshot: [UInt64]? { lane.snapshot }

    func restore(_ words: inout ArraySlice<UInt64>) throws { try lane.restore(&words, name: name) }
}

/// MinAtar's games as registry entries: `MinAtar/<Game>-v0` (all six
/// actions) and `-v1` (the minimal set), with the package's defaults and
/// options for the settings other implementations use — `sticky=0` turns
/// sticky actions off, `ramping=0` difficulty ramping, and a step cap like
/// gymnax's is `max_episode_steps=1000` (which every env takes). Each has a
/// batched version (`MinAtarVector`), which `Registry.makeVector` builds.
public enum MinAtarGames {
    public static let registrations: [Registration] =
        registrations(Asterix.self) + registrations(Breakout.self) + registrations(Freeway.self)
        + registrations(Seaquest.self) + registrations(SpaceInvaders.self)

    private static func registrations<Game: MinAtarGame>(_ game: Game.Type) -> [Registration] {
        [false, true].map { minimal in
            Registration("MinAtar/\(Game.name)-v\(minimal ? 1 : 0)",
                         summary: "MinAtar \(Game.summary) (\(minimal ? "minimal action set" : "all 6 actions"))",
                         maxEpisodeSteps: nil,
                         make: { options in
                             let (stickiness, ramping) = try settings(options)
                             return MinAtar<Game>(minimalActions: minimal, stickiness: stickiness, ramping: ramping,
                                                  name: options.environment)
                         },
                         makeVector: { options, count, limit in
                             let (stickiness, ramping) = try settings(options)
                             return MinAtarVector<Game>(count: count, minimalActions: minimal, stickiness: stickiness,
                                                        ramping: ramping, maxEpisodeSteps: limit, name: options.environment)
                         })
        }
    }

    /// The sticky-action probability and whether difficulty ramps; throws on any other option.
    private static func settings(_ options: EnvironmentOptions) throws -> (stickiness: Double, ramping: Bool) {
        var options = options
        let stickiness = try options.double("sticky", default: 0.1, in: 0...1)
        let ramping = try options.int("ramping", default: 1, in: 0...1) == 1
        try options.finish()
        return (stickiness, ramping)
    }
}
