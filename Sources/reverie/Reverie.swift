import ArgumentParser

@main
struct Reverie: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reverie",
        abstract: "Reinforcement learning with memory: recurrent agents, world models, remote environments.",
        version: ReverieVersion.description,
        subcommands: [Train.self, Eval.self, Demo.self, Envs.self, Serve.self, Bench.self])
}
