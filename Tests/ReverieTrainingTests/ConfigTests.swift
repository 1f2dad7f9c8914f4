import Foundation
import Testing
@testable import ReverieTraining

@Suite struct ConfigTests {
    static func load(_ text: String, overrides: [String] = [], resolved: Bool = false) throws -> TrainConfig {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("preset.toml")
        try Data(text.utf8).write(to: url)
        return try TrainConfig.load(preset: url, overrides: overrides, resolved: resolved)
    }

    static func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "no error"
    }

    @Test func everyShippedPresetLoads() throws {
        let agents = PythonTool.repository.appendingPathComponent("agents")
        let presets = try FileManager.default.contentsOfDirectory(atPath: agents.path).filter { $0.hasSuffix(".toml") }
        #expect(!presets.isEmpty)
        for preset in presets { _ = try TrainConfig.load(preset: agents.appendingPathComponent(preset)) }
    }

    /// One setting swaps a dreamer preset's sequence backbone, and nothing else.
    @Test(arguments: ["s4", "mamba"]) func oneSetSwapsADreamerPresetsBackbone(_ kind: String) throws {
        let preset = PythonTool.repository.appendingPathComponent("agents/dreamer-gru-cartpole.toml")
        let original = try TrainConfig.load(preset: preset)
        var swapped = try TrainConfig.load(preset: preset, overrides: ["backbone=\(kind)"])
        #expect(original.dreamer.worldModel.backbone.kind == .gru)
        #expect(swapped.dreamer.worldModel.backbone.kind.rawValue == kind)
        #expect(swapped.dreamer.worldModel.backbone.width == original.dreamer.worldModel.backbone.width)
        swapped.backbone = "gru"
        #expect("\(swapped)" == "\(original)", "only the backbone's kind differs")
    }

    /// `world_model.posterior` picks what q(z_t | ·) reads for any backbone;
    /// "backbone" (the default) leaves it to the backbone's own design.
    @Test func thePosteriorsInputIsOneKey() throws {
        let preset = PythonTool.repository.appendingPathComponent("agents/dreamer-s4-cartpole.toml")
        let own = try TrainConfig.load(preset: preset)
        #expect(own.dreamer.worldModel.posteriorInput == nil && !own.dreamer.worldModel.posteriorReadsBackbone)
        let state = try TrainConfig.load(preset: preset, overrides: ["world_model.posterior=state"])
        #expect(state.dreamer.worldModel.posteriorInput == .state && state.dreamer.worldModel.posteriorReadsBackbone)
        let again = try TrainConfig.load(preset: preset, overrides: ["world_model.posterior=backbone"])
        #expect(again == own)
        #expect(throws: (any Error).self) { try TrainConfig.load(preset: preset, overrides: ["world_model.posterior=h"]) }
    }

    /// `base = "NAME"` starts a preset from NAME.toml beside it (itself
    /// possibly based on another); the preset's own keys and `--set` win.
    /// A missing base, a path and a cycle are clear errors.
    @Test func aPresetCanStartFromAnotherPreset() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ name: String, _ text: String) throws -> URL {
            let url = dir.appendingPathComponent("\(name).toml")
            try Data(text.utf8).write(to: url)
            return url
        }
        let root = try write("root", "algorithm = \"dreamer\"\nenv = \"Acrobot-v1\"\nsize = \"tiny\"\n[dreamer]\nhorizon = 9\nprefill = 123\n")
        _ = try write("middle", "base = \"root\"\nbackbone = \"s4\"\n[dreamer]\nhorizon = 11\n")
        let leaf = try write("leaf", "base = \"middle\"\nsize = \"small\"\n[world_model]\nunits = 64\n")
        let config = try TrainConfig.load(preset: leaf, overrides: ["dreamer.prefill=7"])
        #expect(config.env == "Acrobot-v1" && config.backbone == "s4" && config.dreamer.horizon == 11)
        #expect(config.dreamer.prefill == 7, "--set wins over every preset")
        // The leaf's size applies after its bases' keys, and its own units after its size.
        #expect(config.dreamer.worldModel.backbone.width == 512 && config.dreamer.worldModel.units == 64)
        #expect(try TrainConfig.load(preset: root).dreamer.horizon == 9, "a base is not changed by what is built on it")

        let missing = Self.message { _ = try TrainConfig.load(preset: try write("orphan", "base = \"nowhere\"\n")) }
        #expect(missing.contains("base = \"nowhere\" names no preset") && missing.contains("nowhere.toml"), "\(missing)")
        let path = Self.message { _ = try TrainConfig.load(preset: try write("pathy", "base = \"../root\"\n")) }
        #expect(path.contains("another preset in the same folder"), "\(path)")
        _ = try write("a", "base = \"b\"\n")
        let cycle = Self.message { _ = try TrainConfig.load(preset: try write("b", "base = \"a\"\n")) }
        #expect(cycle.contains("cycle: b → a → b"), "\(cycle)")
    }

    @Test func presetValuesAndOverridesLand() throws {
        let config = try Self.load("""
            env = "Acrobot-v1"
            [ppo]
            gamma = 0.9
            target_kl = 0.02
            [policy]
            hidden = [32]
            """, overrides: ["ppo.gamma=0.98", "env=TMaze?length=40", "ppo.target_kl=none", "policy.hidden=[8, 8]"])
        #expect(config.env == "TMaze?length=40")
        #expect(config.ppo.gamma == 0.98)
        #expect(config.ppo.targetKL == nil)
        #expect(config.hidden == [8, 8])
    }

    /// Budgets are written as `1e6` in papers and in other tools' configs.
    @Test func aWholeNumberWrittenAsAFloatIsAnInteger() throws {
        let config = try Self.load("total_steps = 2.5e6\n", overrides: ["ppo.rollout_steps=1.28e2", "policy.hidden=[6.4e1, 64]"])
        #expect(config.totalSteps == 2_500_000 && config.ppo.rolloutSteps == 128 && config.hidden == [64, 64])
        #expect(config.toml.contains("\ntotal_steps = 2500000 "), "the resolved config writes integers")
        for text in ["total_steps = 1.5e0\n", "total_steps = 1e300\n", "total_steps = inf\n"] {
            let error = Self.message { _ = try Self.load(text) }
            #expect(error.contains("an integer in"), "\(text) → \(error)")
        }
    }

    @Test func unknownKeysAreNamedWithTheNearestKnownOne() {
        let error = Self.message { _ = try Self.load("[ppo]\ngama = 0.9\n") }
        #expect(error.contains("unknown key ppo.gama") && error.contains("Did you mean ppo.gamma?"), "\(error)")
        let override = Self.message { _ = try Self.load("", overrides: ["ppo.epoch=3"]) }
        #expect(override.contains("--set") && override.contains("ppo.epochs"), "\(override)")
    }

    @Test func badValuesSayWhatIsAllowed() {
        let cases: [(String, String)] = [
            ("[ppo]\ngamma = 1.5\n", "a number in [0.0, 1.0]"),
            ("num_envs = 0\n", "an integer in [1, 4096]"),
            ("[policy]\nactivation = \"swish\"\n", "one of \"identity\""),
            ("[ppo]\nanneal_learning_rate = \"yes\"\n", "true or false"),
            ("[policy]\nhidden = [64, -1]\n", "an array of integers"),
            ("total_steps = 1.5\n", "an integer in"),
        ]
        for (text, allowed) in cases {
            let error = Self.message { _ = try Self.load(text) }
            #expect(error.contains(allowed), "\(text) → \(error)")
        }
    }

    /// A key the algorithm never reads is a mistake (`--set backbone=s4` on a
    /// PPO preset would otherwise train PPO and say nothing).
    @Test func keysOfAnotherAlgorithmAreErrors() throws {
        let ppo = Self.message { _ = try Self.load("[ppo]\ngamma = 0.9\n", overrides: ["backbone=s4"]) }
        #expect(ppo.contains("--set: backbone has no effect with algorithm = \"ppo\"; it configures \"dreamer\""), "\(ppo)")
        let dreamer = Self.message { _ = try Self.load("algorithm = \"dreamer\"\n[policy]\nhidden = [8]\n") }
        #expect(dreamer.contains("preset.toml: policy.hidden has no effect") && dreamer.contains("\"ppo\" or \"online-ac\""), "\(dreamer)")
        // Keys every algorithm reads, and the algorithm's own, load.
        _ = try Self.load("algorithm = \"dreamer\"\nsize = \"tiny\"\n[run]\neval_episodes = 3\n", overrides: ["world_model.dt_min=0.01"])
    }

    @Test func malformedTOMLNamesFileLineAndColumn() {
        let error = Self.message { _ = try Self.load("env = \"CartPole-v1\"\n[ppo\n") }
        #expect(error.contains("preset.toml:2:"), "\(error)")
    }

    /// A run's config.toml reads back as the same config, for a resume and
    /// as a preset alike; it holds the keys its algorithm reads and no others.
    @Test func resolvedConfigReadsBackEqualAndIsAPreset() throws {
        var config = TrainConfig()
        config.ppo.gamma = 0.98
        config.ppo.targetKL = 0.015
        config.env = "TMaze?length=40"
        config.hidden = [16, 8]
        #expect(try Self.load(config.toml, resolved: true) == config)
        #expect(try Self.load(config.toml) == config)
        var dreamer = TrainConfig()
        dreamer.algorithm = "dreamer"
        dreamer.dreamer.worldModel.posteriorInput = .state
        dreamer.dreamer.trainRatio = 128
        #expect(try Self.load(dreamer.toml) == dreamer)
        #expect(!config.toml.contains("[dreamer]") && config.toml.contains("[ppo]"))
        #expect(!dreamer.toml.contains("[ppo]") && !dreamer.toml.contains("[policy]") && dreamer.toml.contains("[world_model]"))
    }
}
