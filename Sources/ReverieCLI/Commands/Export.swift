import ArgumentParser
import Foundation
import ReverieTraining

/// `reverie export RUN OUT.safetensors`: the acting policy alone, for other tools.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a run's acting policy as safetensors with a JSON description of its network, for numpy and other tools.",
        discussion: """
            RUN is a run folder (its newest checkpoint) or a checkpoint file. The file holds the policy's \
            parameters and its observation normaliser's statistics as plain float32 tensors, and in its \
            metadata under "reverie_policy" how to act with them; reverie_envs.load_policy(OUT) (pip install ./envs) \
            runs it in numpy. Feedforward MLP policies (PPO, the online actor-critic without memory).
            """)

    @Argument(help: ArgumentHelp("A run folder or a checkpoint (.safetensors).", valueName: "run"))
    var path: String

    @Argument(help: ArgumentHelp("The file to write (.safetensors).", valueName: "out"))
    var output: String

    func validate() throws {
        guard output.lowercased().hasSuffix(".safetensors") else { throw ValidationError("export writes safetensors: give an OUT ending in .safetensors.") }
    }

    func run() throws {
        let saved = try SavedPolicy(contentsOf: URL(fileURLWithPath: path))
        defer { saved.close() }
        try PolicyExport.write(saved, to: URL(fileURLWithPath: output))
        FileHandle.standardError.write(Data("wrote \(output): the policy of \(saved.checkpoint.lastPathComponent) (\(saved.config.env), \(saved.environmentSteps) steps)\n".utf8))
    }
}
