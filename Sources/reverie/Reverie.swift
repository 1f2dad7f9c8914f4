import ArgumentParser

@main
struct Reverie: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reinforcement learning with memory.",
        version: "0.1.0")
}
