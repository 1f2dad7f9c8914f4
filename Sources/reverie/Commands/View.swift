import ArgumentParser
import Foundation
import ReverieEnvs
import ReverieTraining
import ReverieViewer

/// `reverie view`: watch a trained agent (or a random policy) act, live.
struct View: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch an agent act in its env in a window, with a heads-up display.",
        discussion: """
            Keys: space pauses, → single-steps, + and − change speed, R resets the episode, \
            S saves a screenshot, Esc closes. Without a display, run under xvfb-run with \
            --screenshot PATH --frames N, or record a GIF with reverie eval RUN --record out.gif.
            """)

    @Argument(help: ArgumentHelp("A run folder or a checkpoint (.safetensors).", valueName: "run"))
    var path: String?

    @Option(help: "Watch a uniformly random policy in this env instead of a trained agent.")
    var random: String?

    @Option(help: "Seed of the first episode (episode k uses seed + k − 1).")
    var seed: UInt64 = 1_000_000

    @Option(help: "Write a PNG of the last frame shown here.")
    var screenshot: String?

    @Option(help: "Run this many display frames (one env step each) and stop.")
    var frames: Int?

    @Flag(help: "Use a hidden window (with --screenshot and --frames).")
    var hidden = false

    func validate() throws {
        if (path == nil) == (random == nil) { throw ValidationError("Give a run folder or checkpoint, or --random ENV (not both).") }
        if let frames, frames < 1 { throw ValidationError("--frames must be at least 1.") }
        if hidden && frames == nil { throw ValidationError("--hidden needs --frames: a hidden window would run forever.") }
        if let screenshot, !screenshot.lowercased().hasSuffix(".png") { throw ValidationError("--screenshot writes a PNG: give a .png path.") }
    }

    func run() throws {
        let viewer: Viewer
        if let random {
            viewer = Viewer(environment: try Registry.make(random), policy: nil, seed: seed)
        } else {
            let saved: SavedPolicy
            do { saved = try SavedPolicy(contentsOf: URL(fileURLWithPath: path!)) } catch let error as ConfigError {
                throw ValidationError(error.message)
            }
            viewer = Viewer(environment: saved.normalization.evaluation(try Registry.make(saved.config.env)), policy: saved.policy, seed: seed)
        }
        do {
            try viewer.run(frames: frames, screenshot: screenshot.map { URL(fileURLWithPath: $0) }, visible: !hidden)
        } catch let error as ViewerError {
            FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
            throw ExitCode.failure
        }
    }
}
