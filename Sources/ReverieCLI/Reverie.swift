import ArgumentParser
import Foundation
import ReverieCore
import ReverieEnvs
import ReverieTraining

/// The `reverie` command line. The `reverie` executable is this and nothing
/// else; a program of your own that registers environments
/// (`Registry.register`) and then calls `Reverie.main()` is `reverie` with
/// those envs known by name to every command (see Examples/MyReverie).
public struct Reverie: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "reverie",
        abstract: "Reinforcement learning with memory: recurrent agents, world models, remote environments.",
        version: ReverieVersion.description,
        subcommands: [Train.self, Eval.self, View.self, Export.self, Demo.self, Envs.self, Serve.self, Keys.self, Bench.self, Plot.self])

    /// Parses the command line, runs the command and exits: usage errors show
    /// the usage (64), unusable configs their message (64), failures theirs (1).
    public static func main() {
        // Before anything else: the kernels are chosen when OpenBLAS loads, so a better set means starting again.
        KernelSelection.apply()
        // Tensors of the same sizes come and go thousands of times a second: keep their memory.
        MemoryPolicy.keepFreedMemoryForReuse()
        var command: any ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }  // usage errors show the usage
        do {
            try command.run()
        } catch let error as ValidationError {
            unusable(error.message)
        } catch let error as ConfigError {
            unusable(error.message)
        } catch let error as EnvironmentError where error.isInTheName {
            unusable(error.description)
        } catch {
            exit(withError: error)  // a failure while running: its message, exit 1
        }
    }

    /// A preset, key, env name or file found unusable once parsing is done: its
    /// message is the whole story, so no usage text after it; exit 64, as for usage errors.
    private static func unusable(_ message: String) -> Never {
        FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
        Foundation.exit(ExitCode.validationFailure.rawValue)
    }
}
