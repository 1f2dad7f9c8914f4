// PPO on an environment of your own, through Reverie as a library:
// register it, train a run by name, then evaluate the run's policy by name.
import ExampleEnvs
import Foundation
import ReverieEnvs
import ReverieTraining

try Registry.register(Corridor.registration)

var config = TrainConfig()              // PPO with its defaults; every key of `reverie train --keys`
config.env = "Corridor-v0?length=8"
config.totalSteps = 20_000
config.seed = Int(CommandLine.arguments.dropFirst().first ?? "1") ?? 1
let run = FileManager.default.temporaryDirectory.appendingPathComponent("corridor-ppo-\(ProcessInfo.processInfo.processIdentifier)")
defer { try? FileManager.default.removeItem(at: run) }

let summary = try Trainer(config: config, runDirectory: run).run()
let policy = try SavedPolicy(contentsOf: run)    // as `reverie eval` reads a run
let returns = try policy.evaluate(episodes: 10, seed: 7)
print("Corridor-v0: trained \(summary.envSteps) steps in \(String(format: "%.1f", summary.wallSeconds)) s; "
      + "eval return \(returns.reduce(0, +) / Float(returns.count)) over \(returns.count) episodes")
