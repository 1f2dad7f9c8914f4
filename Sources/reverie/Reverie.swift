import ArgumentParser
import ReverieCore

@main
struct Reverie: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reverie",
        abstract: "Reinforcement learning with memory: recurrent agents, world models, remote environments.",
        version: ReverieVersion.description,
        subcommands: [Train.self, Eval.self, View.self, Demo.self, Envs.self, Serve.self, Keys.self, Bench.self, Plot.self])

    static func main() {
        // Before anything else: the kernels are chosen when OpenBLAS loads, so a better set means starting again.
        KernelSelection.apply()
        // Tensors of the same sizes come and go thousands of times a second: keep their memory.
        MemoryPolicy.keepFreedMemoryForReuse()
        main(nil)
    }
}
