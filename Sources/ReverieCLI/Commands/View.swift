import ArgumentParser
import Foundation
import ReverieEnvs
import ReverieRemote
import ReverieTraining
import ReverieViewer

/// `reverie view`: watch a trained agent (or a random policy) act, live.
struct View: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch an agent act in its env in a window, with a heads-up display.",
        discussion: """
            A world-model agent on an image env shows three panels: the real frame, its model's \
            reconstruction, and an open-loop dream running --dream-steps ahead. Envs without pixels \
            get charts of the observation (with the model's reconstruction and dream for a \
            world-model agent), the value and the reward over the last 300 steps.

            Keys: space pauses, → single-steps, + and − change speed, R resets the episode, \
            S saves a screenshot, D starts a dream from now, Esc closes. Without a display, run \
            under xvfb-run with --screenshot PATH --frames N, or record a GIF with \
            reverie eval RUN --record out.gif.
            """)

    @Argument(help: ArgumentHelp("A run folder or a checkpoint (.safetensors).", valueName: "run"))
    var path: String?

    @Option(help: "Watch a uniformly random policy in this env (a built-in id or zmq://host:port) instead of a trained agent.")
    var random: String?

    @Option(help: ArgumentHelp("Watch the agent in this env instead of its training env: a built-in id, or zmq://host:port for a server (reverie serve, envs/gymnasium_server.py).", valueName: "env"))
    var env: String?

    @Option(parsing: .unconditional, help: "Seed of the first episode (episode k uses seed + k − 1).")
    var seed: UInt64 = 1_000_000

    @Option(help: "How many steps a world-model agent's dream runs ahead.")
    var dreamSteps = 30

    @Option(help: "Write a PNG of the last frame shown here.")
    var screenshot: String?

    @Option(help: "Run this many display frames (one env step each) and stop.")
    var frames: Int?

    @Option(help: "Close the window after this many seconds.")
    var seconds: Double?

    @Option(help: "Env steps per second to start at (+ and − double and halve it; up to 7680).")
    var speed = 30.0

    @Flag(help: "Use a hidden window (with --screenshot and --frames or --seconds).")
    var hidden = false

    @OptionGroup(title: "Served envs") var remoteOptions: RemoteOptions

    func validate() throws {
        if (path == nil) == (random == nil) { throw ValidationError("Give a run folder or checkpoint, or --random ENV (not both).") }
        if random != nil && env != nil { throw ValidationError("--env is for a trained agent; --random names its env itself.") }
        if dreamSteps < 1 { throw ValidationError("--dream-steps must be at least 1.") }
        if let frames, frames < 1 { throw ValidationError("--frames must be at least 1.") }
        if let seconds, !(seconds > 0) { throw ValidationError("--seconds must be positive.") }
        if !(speed > 0) { throw ValidationError("--speed must be positive.") }
        if frames != nil && seconds != nil { throw ValidationError("--frames and --seconds both say when to stop: give one.") }
        if hidden && frames == nil && seconds == nil {
            throw ValidationError("--hidden needs --frames or --seconds: a hidden window would run forever.")
        }
        if let screenshot, !screenshot.lowercased().hasSuffix(".png") { throw ValidationError("--screenshot writes a PNG: give a .png path.") }
    }

    /// A built-in env, or env 0 of the servers `spec` names.
    func watched(_ spec: String) throws -> WatchedEnvironment {
        if spec.contains("://") {
            let remote = try remoteOptions.connect(spec)
            return .vector(remote, name: remote.name)
        }
        return .single(try Registry.make(spec))
    }

    func run() throws {
        let viewer: Viewer
        // A policy's own served envs (their bridges), made again for it: ended with the viewer.
        var owner: SavedPolicy?
        defer { owner?.close() }
        if let random {
            viewer = try Viewer(watching: try watched(random), policy: nil, seed: seed, dreamSteps: dreamSteps)
        } else {
            let url = URL(fileURLWithPath: path!)
            var watched: WatchedEnvironment?
            if let env { watched = try self.watched(env) }
            let saved: SavedPolicy
            do {
                saved = try SavedPolicy(contentsOf: url, spaces: watched.map { ($0.observationSpace, $0.actionSpace) })
            } catch let error where watched != nil && !(error is ConfigError) {
                throw ConfigError("the policy in \(path!) does not fit \(env!) (observations \(watched!.observationSpace), "
                                  + "actions \(watched!.actionSpace)): \(error)")
            }
            switch watched {
            case nil where saved.environment != nil:
                // Served or preprocessed: the vector its run trained on, made again.
                owner = saved
                watched = .vector(saved.environment!, name: saved.config.env)
            case nil:
                watched = .single(saved.normalization.evaluation(try Registry.make(saved.config.env)))
            case .single(let env)?:
                watched = .single(saved.normalization.evaluation(env))
            case .vector?:
                guard saved.normalization.observations == nil else {
                    throw ConfigError("this policy normalises its observations with statistics from training; "
                                      + "the viewer applies them to built-in envs only, not to \(env!)")
                }
            }
            viewer = try Viewer(watching: watched!, policy: saved.policy, seed: seed, dreamSteps: dreamSteps)
        }
        viewer.setSpeed(speed)
        do {
            try viewer.run(frames: frames, seconds: seconds, screenshot: screenshot.map { URL(fileURLWithPath: $0) }, visible: !hidden)
            let s = viewer.statistics, episodes = viewer.readout.episode - 1
            FileHandle.standardError.write(Data(String(format: "watched %d steps (%d episodes ended) in %.1f s: %.0f steps/s, %.1f frames/s\n",
                                                       s.steps, episodes, s.seconds, Double(s.steps) / max(s.seconds, 1e-9),
                                                       Double(s.frames) / max(s.seconds, 1e-9)).utf8))
        } catch let error as ViewerError {
            FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
            throw ExitCode.failure
        }
    }
}
