import ArgumentParser
import Foundation
import ReverieEnvs
import ReverieRemote

/// `reverie envs`: the built-in environments, and a quick random-policy check of one.
struct Envs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the built-in environments, or check one with a random policy.",
        subcommands: [List.self, Check.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List environments with their spaces and time limits.")

        func run() throws {
            for registration in Registry.registrations {
                let env = try registration.make(EnvironmentOptions(environment: registration.name))
                let limit = registration.maxEpisodeSteps.map { "\($0) steps" } ?? "no limit"
                print(registration.name)
                print("    \(registration.summary)")
                print("    observations \(env.observationSpace), actions \(env.actionSpace), time limit \(limit)")
                let options = try registration.options()
                if !options.isEmpty { print("    options: " + options.map(\.description).joined(separator: ", ")) }
            }
            print("\nOptions follow the name: 'MinAtar/Breakout-v1?sticky=0'. Every env also takes "
                  + "max_episode_steps=N (0: no time limit), as Gymnasium's make does.\n"
                  + "Any Gymnasium env trains too: env = \"gymnasium:ID?key=value\" starts the Python bridge "
                  + "(envs/gymnasium_server.py) with gym.make(ID, key=value); zmq://host:port steps a server of your own.")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a uniformly random policy; print episodes, mean return and steps per second.",
            discussion: """
                NAME may carry options: reverie envs check 'TMaze?length=40'. A served env \
                (zmq://host:port, or several joined by commas) is checked the same way, all its envs \
                stepped together.
                """)

        @Argument(help: "Environment name, with optional ?key=value&… options, or zmq://host:port.")
        var name: String

        @Option(help: "Episodes to run.")
        var episodes = 10

        @Option(parsing: .unconditional, help: "Seed of the environment and of the random policy.")
        var seed: UInt64 = 0

        @OptionGroup(title: "Served envs") var remoteOptions: RemoteOptions

        func validate() throws {
            guard episodes >= 1 else { throw ValidationError("--episodes must be at least 1.") }
        }

        func run() throws {
            if name.contains("://") { return try checkRemote() }
            let env = try Registry.make(name)
            var rng = RandomGenerator(seed: seed &+ 1)
            var returns: [Double] = [], lengths: [Int] = []
            var steps = 0
            let start = DispatchTime.now().uptimeNanoseconds
            _ = env.reset(seed: seed)
            var episodeReturn = 0.0, length = 0
            while returns.count < episodes {
                let step = try env.step(env.actionSpace.sample(using: &rng))
                episodeReturn += Double(step.reward)
                length += 1
                steps += 1
                if step.isDone {
                    returns.append(episodeReturn)
                    lengths.append(length)
                    print("episode \(returns.count): return \(format(episodeReturn)), length \(length)"
                          + (step.truncated && !step.terminated ? " (truncated)" : ""))
                    episodeReturn = 0
                    length = 0
                    _ = env.reset()
                }
            }
            summarize(env.name, returns: returns, lengths: lengths, steps: steps, since: start)
        }

        /// The served envs stepped together with random actions until `episodes` episodes
        /// have ended, in the order they end (env i is seeded seed + i, as in-process).
        private func checkRemote() throws {
            let env = try remoteOptions.connect(name)
            let n = env.count, space = env.singleActionSpace
            var rng = RandomGenerator(seed: seed &+ 1)
            var returns: [Double] = [], lengths: [Int] = []
            var episodeReturns = [Double](repeating: 0, count: n), episodeLengths = [Int](repeating: 0, count: n)
            var steps = 0
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try env.reset(seed: seed)
            while returns.count < episodes {
                let actions = (0..<n).flatMap { _ in space.sample(using: &rng) }
                let step = try env.step(Tensor(actions, shape: [n] + space.shape))
                steps += n
                for i in 0..<n where returns.count < episodes {
                    episodeReturns[i] += Double(step.rewards[i])
                    episodeLengths[i] += 1
                    guard step.terminated[i] || step.truncated[i] else { continue }
                    returns.append(episodeReturns[i])
                    lengths.append(episodeLengths[i])
                    print("episode \(returns.count) (env \(i)): return \(format(episodeReturns[i])), length \(episodeLengths[i])"
                          + (step.truncated[i] && !step.terminated[i] ? " (truncated)" : ""))
                    (episodeReturns[i], episodeLengths[i]) = (0, 0)
                }
            }
            summarize("\(env.name) at \(name) (\(n) envs)", returns: returns, lengths: lengths, steps: steps, since: start)
        }

        /// The closing line: episodes, mean return ± std, mean length, steps/s.
        private func summarize(_ what: String, returns: [Double], lengths: [Int], steps: Int, since start: UInt64) {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            let mean = returns.reduce(0, +) / Double(returns.count)
            let std = (returns.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(returns.count)).squareRoot()
            print("\(what): \(returns.count) episodes, mean return \(format(mean)) ± \(format(std)), "
                  + "mean length \(format(Double(lengths.reduce(0, +)) / Double(lengths.count))), "
                  + "\(Int(Double(steps) / seconds)) steps/s (random policy)")
        }

        private func format(_ x: Double) -> String { String(format: "%.3f", x) }
    }
}
