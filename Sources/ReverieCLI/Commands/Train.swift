import ArgumentParser
import Foundation
import ReverieRemote
import ReverieTraining

/// `reverie train PRESET`: train an agent from a preset in `agents/`, writing
/// a run folder (see `Trainer`).
struct Train: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            abstract: "Train an agent from a preset (agents/*.toml).",
            discussion: """
                Presets: \(Presets.names.isEmpty ? "(none found)" : Presets.names.joined(separator: ", ")).

                Any key can be overridden: --set ppo.gamma=0.98 --set env=Acrobot-v1. \
                Keys (run `reverie train --keys` for their docs): \
                \(TrainConfig.schema.fields.map(\.key).joined(separator: ", ")).

                Ctrl-C saves a checkpoint and stops; --resume RUN_DIR continues (--total-steps N extends it).
                """)
    }

    @Argument(help: "A preset name from agents/ (ppo-cartpole) or a path to a .toml file.")
    var preset: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a preset key (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: ArgumentHelp("The env to train on (shorthand for --set env=ENV): a built-in env with ?options, zmq://host:port[,…] servers, or gymnasium:ID.", valueName: "env"))
    var env: String?

    @Option(help: "Run folder (default: runs/<env>__<preset>__<seed>__<unix time>).")
    var runDir: String?

    // Unconditional, so that `--seed -1` is a seed the config refuses, not a missing value.
    @Option(parsing: .unconditional, help: "Seed (shorthand for --set seed=N).")
    var seed: Int?

    @Option(help: "Continue the run in this folder from its newest checkpoint.")
    var resume: String?

    @Flag(help: "With --resume: if the newest checkpoint is damaged, set it aside and continue from the newest good one.")
    var resumeLatestGood = false

    @Option(help: "With --resume: train on to this many env steps in all (a finished run goes on; config.toml records it). Schedules annealed over the budget, as PPO's learning rate, stretch to the new total, so they step up where they resume.")
    var totalSteps: Count?

    @Flag(help: "List every preset key with its value (the preset's, if one is given; else the default), documentation and allowed values, then exit.")
    var keys = false

    @Flag(help: "No progress line.")
    var quiet = false

    func validate() throws {
        if keys { return }
        if resume != nil && (preset != nil || seed != nil || env != nil || runDir != nil) {
            throw ValidationError("--resume continues a run with its own config: give no preset, --seed, --env or --run-dir.")
        }
        if resume != nil && !overrides.isEmpty && (overrides.count > 1 || totalSteps != nil || resumeTotal == nil) {
            throw ValidationError("--resume continues a run with its own config: the one key it takes is --set total_steps=N "
                                  + "(the same as --total-steps N), an integer.")
        }
        if resumeLatestGood && resume == nil { throw ValidationError("--resume-latest-good goes with --resume RUN_DIR.") }
        if resumeTotal != nil && resume == nil {
            throw ValidationError("--total-steps goes with --resume RUN_DIR; a new run takes --set total_steps=N.")
        }
        if resume == nil && preset == nil { throw ValidationError("Give a preset (\(Presets.names.joined(separator: ", "))) or --resume RUN_DIR.") }
    }

    /// A resumed run's new budget: --total-steps N, or --set total_steps=N.
    var resumeTotal: Int? {
        if let totalSteps { return totalSteps.value }
        guard resume != nil, overrides.count == 1, let equals = overrides[0].firstIndex(of: "="),
              overrides[0][..<equals].trimmingCharacters(in: .whitespaces) == "total_steps" else { return nil }
        return Count(argument: overrides[0][overrides[0].index(after: equals)...].trimmingCharacters(in: .whitespaces))?.value
    }

    /// `--set`s, then `--env` and `--seed` as the keys they stand for.
    var commandLineOverrides: [String] {
        overrides + (env.map { ["env=\(ConfigValue.string($0))"] } ?? []) + (seed.map { ["seed=\($0)"] } ?? [])
    }

    func run() throws {
        if keys {
            // The values this preset (and these --set) give each key, or the defaults without one.
            let config = try preset.map { try TrainConfig.load(preset: try Presets.url(for: $0), overrides: commandLineOverrides) }
                ?? TrainConfig()
            print(TrainConfig.schema.documentation(values: config))
            return
        }
        let progress = Progress()
        progress.enabled = !quiet
        // Messages share stderr with the progress line without breaking it.
        let log: (String) -> Void = { message in if !quiet { progress.message(message) } }
        let trainer: Trainer
        if let resume {
            trainer = try Trainer(resuming: URL(fileURLWithPath: resume), latestGood: resumeLatestGood,
                                  totalSteps: resumeTotal, log: log)
        } else {
            let url = try Presets.url(for: preset!)
            let config = try TrainConfig.load(preset: url, overrides: commandLineOverrides)
            let name = url.deletingPathExtension().lastPathComponent
            let dir = runDir.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: "runs").appendingPathComponent(
                "\(config.env.map { "/?:&=,".contains($0) ? "_" : $0 }.reduce("") { $0 + String($1) })__\(name)__\(config.seed)__\(Int(Date().timeIntervalSince1970))")
            trainer = try Trainer(config: config, runDirectory: dir, log: log)
            log("run folder \(dir.path)")
        }
        StopSignal.install(message: "\nstopping: finishing this iteration, then saving a checkpoint; Ctrl-C again quits at once\n")
        // A served env's step cut short by Ctrl-C stops the run there, instead of waiting out the step.
        RemoteVectorEnvironment.interruptRequested = { StopSignal.received }
        let summary = try trainer.run(progress: progress, shouldStop: { StopSignal.received })
        let data = try JSONSerialization.data(withJSONObject: summary.json, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        if summary.outcome == .stopped {
            log("stopped at \(summary.envSteps) steps; continue with: reverie train --resume \(trainer.runDirectory.path)")
        }
    }
}

/// A count on the command line, as an integer or a whole number in
/// exponent form (`1e6`, as budgets are written).
struct Count: ExpressibleByArgument {
    let value: Int

    init?(argument: String) {
        if let n = Int(argument) { value = n; return }
        guard let x = Double(argument), x.rounded() == x, abs(x) < 0x1p62 else { return nil }
        value = Int(x)
    }
}

/// Preset files: `agents/*.toml` next to the working directory, $REVERIE_ROOT
/// or the repository this binary was built in.
enum Presets {
    static var directories: [URL] {
        var dirs = [URL(fileURLWithPath: "agents")]
        if let root = ProcessInfo.processInfo.environment["REVERIE_ROOT"] { dirs.append(URL(fileURLWithPath: root).appendingPathComponent("agents")) }
        // .build/<config>/reverie → repository root
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        dirs.append(binary.deletingLastPathComponent().appendingPathComponent("../../../agents").standardized)
        return dirs
    }

    static var names: [String] {
        for dir in directories {
            if let files = try? FileManager.default.contentsOfDirectory(atPath: dir.path) {
                let names = files.filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }.sorted()
                if !names.isEmpty { return names }
            }
        }
        return []
    }

    static func url(for preset: String) throws -> URL {
        if preset.hasSuffix(".toml") || preset.contains("/") {
            guard FileManager.default.fileExists(atPath: preset) else { throw ConfigError("no preset file at \(preset)") }
            return URL(fileURLWithPath: preset)
        }
        for dir in directories {
            let url = dir.appendingPathComponent(preset + ".toml")
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        let known = names
        guard !known.isEmpty else {
            throw ConfigError("no preset named \(preset): no agents/ folder with presets in \(directories.map(\.path).joined(separator: ", ")); "
                              + "run from the repository, set REVERIE_ROOT to it, or give a .toml path")
        }
        throw ConfigError("no preset named \(preset); presets: \(known.joined(separator: ", "))")
    }
}
