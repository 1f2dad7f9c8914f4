import Foundation
import ReverieAgents
import ReverieNN
import ReverieRemote
import ReverieWorldModels

/// Everything `reverie train` needs: a preset (`agents/*.toml`) decoded,
/// then `--set` overrides applied. Every key is documented in `schema`.
public struct TrainConfig: Sendable, Equatable {
    /// The learning algorithm: "ppo", "online-ac" (an actor-critic updating
    /// every M steps whose recurrent layer learns by RTRL, TBPTT, SnAp-1 or
    /// UORO), or "dreamer" (a world model and an actor-critic learning in imagination).
    public var algorithm = "ppo"
    /// A built-in env (`CartPole-v1`, `TMaze?length=40`), servers (`zmq://host:5555,zmq://other:5555`),
    /// or a Gymnasium env this run serves itself (`gymnasium:ALE/Pong-v5?frameskip=1`).
    public var env = "CartPole-v1"
    /// N, environments stepped together (for `zmq://` envs, the servers decide).
    public var numEnvs = 8
    /// Environment steps to train for.
    public var totalSteps = 100_000
    /// Seed of the networks, the sampling and the envs (env i gets seed + i).
    public var seed = 1

    /// Widths of the hidden layers of the actor and of the critic.
    public var hidden = [64, 64]
    /// Nonlinearity between hidden layers.
    public var activation = "tanh"
    /// For Box actions: squash a Gaussian by tanh into the bounds instead of clipping.
    public var squashActions = false
    /// The recurrent cell before the actor and critic ("none", "gru", "lstm", "rnn", "elstm", "mingru", "lru").
    public var memory = "none"
    /// H, the recurrent cell's width.
    public var memorySize = 64
    /// Width of a one-layer observation encoder before the cell (0: none).
    public var encoderSize = 0
    /// eLSTM: offset of the forget gate's initial bias.
    public var forgetBias: Float = 0
    /// What reads observations: "auto" (a CNN for images, MLPs otherwise), "mlp", "nature", "minatar".
    public var encoder = "auto"

    public var ppo = PPOConfig()
    public var online = OnlineActorCriticConfig()
    public var dreamer = DreamerConfig()

    /// `gymnasium:` envs: bridge processes the N envs are split over (stepped concurrently).
    public var bridgeProcesses = 1
    /// Pixel envs: Gymnasium's `AtariPreprocessing` (`atari`), then `atariFrameStack` frames stacked.
    public var atariPreprocess = false
    public var atari = AtariPreprocessing.Settings()
    public var atariFrameStack = 4

    /// Normalise observations with running statistics shared by the N envs (SB3's `VecNormalize`).
    public var normalizeObservations = false
    /// Divide rewards by the running std of the discounted return (shared by the N envs).
    public var normalizeRewards = false

    /// Save a checkpoint every this many env steps (0: only at the end).
    public var checkpointEvery = 25_000
    /// Episodes of deterministic evaluation at the end.
    public var evalEpisodes = 10
    /// Env steps between evaluations during training (0: none).
    public var evalEvery = 0
    /// Keep only the newest this many checkpoints (0: keep all).
    public var keepCheckpoints = 0
    /// What a non-finite observation or reward from an env does: "stop" (save a
    /// checkpoint, stop with an error naming env, step and field) or "zero"
    /// (replace it by 0, count it, warn).
    public var nonFinite = "stop"

    /// Served envs: how long to wait for one reply before resending.
    public var remoteTimeoutMilliseconds = 5000
    /// Served envs: resends before the server counts as gone.
    public var remoteRetries = 2
    /// Served envs: the servers' CURVE public key, Z85 text or a file holding it ("none": no CURVE).
    public var curveServerKey = "none"
    /// Served envs: this client's CURVE certificate (`NAME.key_secret`), for servers with an allow-list.
    public var curveClientKey = "none"

    public init() {}

    /// The documented keys, in `config.toml` order.
    public static let schema = ConfigSchema<TrainConfig>([
        .string("algorithm", "ppo; online-ac: an actor-critic updating every M steps, its memory learned by online.learning_rule; "
                + "dreamer: a world model and an actor-critic learning in imagination", \.algorithm, oneOf: ["ppo", "online-ac", "dreamer"]),
        .string("env", "a built-in env with ?options, or zmq://host:port[,zmq://…] servers", \.env),
        .int("num_envs", "N, environments stepped together (zmq:// servers decide their own)", \.numEnvs, in: 1...4096),
        .int("total_steps", "environment steps to train for", \.totalSteps, in: 1...Int(Int32.max)),
        .int("seed", "seed of networks, sampling and envs (env i gets seed + i)", \.seed, in: 0...Int(Int32.max)),
        .string("backbone", "dreamer: the world model's sequence model (gru: DreamerV3's RSSM, s4: S4WM, mamba: Drama)",
                \.backbone, oneOf: BackboneConfig.Kind.allCases.map(\.rawValue)),
        .string("size", "dreamer: widths of the world model and actor-critic (tiny, small; custom: as the world_model keys say)",
                \.size, oneOf: ["custom"] + DreamerConfig.Size.allCases.map(\.rawValue)),
        .ints("policy.hidden", "widths of the actor's and the critic's hidden layers", \.hidden, in: 1...65_536),
        .string("policy.activation", "nonlinearity between hidden layers", \.activation, oneOf: Activation.allCases.map(\.rawValue)),
        .string("policy.encoder", "what reads observations: auto (a CNN for images: nature from side 36, minatar below; one-hot features "
                + "of Discrete and MultiDiscrete observations; MLPs otherwise), mlp (raw values), nature (Mnih et al. 2015), minatar (Young & Tian 2019), impala (Espeholt et al. 2018); with policy.memory, the cell follows the CNN", \.encoder, oneOf: PolicySpec.Encoder.allCases.map(\.rawValue)),
        .bool("policy.squash_actions", "Box actions: tanh-squash into the bounds instead of clipping", \.squashActions),
        .string("policy.memory", "recurrent cell before actor and critic (elstm, mingru, lru are element-wise: RTRL can train them)",
                \.memory, oneOf: ["none"] + RecurrentActorCritic.CellKind.allCases.map(\.rawValue)),
        .int("policy.memory_size", "H, the recurrent cell's width (an LRU's complex state units)", \.memorySize, in: 1...65_536),
        .int("policy.encoder_size", "width of a one-layer observation encoder before the cell (0: none)", \.encoderSize,
             in: 0...65_536),
        .float("policy.forget_bias", "eLSTM: added to the forget gate's initial bias b_f (positive: starts remembering)",
               \.forgetBias, in: -100...100),
        .int("ppo.rollout_steps", "T, steps per env per rollout (SB3's n_steps)", \.ppo.rolloutSteps, in: 1...1_000_000),
        .int("ppo.epochs", "K, passes over each rollout", \.ppo.epochs, in: 1...1000),
        .int("ppo.minibatch_size", "M, samples per gradient step (SB3's batch_size)", \.ppo.minibatchSize, in: 1...10_000_000),
        .float("ppo.gamma", "discount factor γ", \.ppo.gamma, in: 0...1),
        .float("ppo.gae_lambda", "GAE parameter λ", \.ppo.gaeLambda, in: 0...1),
        .float("ppo.clip_range", "clip range ε of the surrogate objective", \.ppo.clipRange, in: 0...10),
        .bool("ppo.anneal_clip_range", "anneal ε linearly to 0", \.ppo.annealClipRange),
        .optionalFloat("ppo.value_clip_range", "clip V to within this of V_old", \.ppo.valueClipRange, in: 0...1e9),
        .float("ppo.value_coef", "value-loss coefficient c₁", \.ppo.valueCoefficient, in: 0...1e6),
        .float("ppo.entropy_coef", "entropy-bonus coefficient c₂", \.ppo.entropyCoefficient, in: 0...1e6),
        .float("ppo.learning_rate", "Adam step size α", \.ppo.learningRate, in: 0...1),
        .bool("ppo.anneal_learning_rate", "anneal α linearly to 0", \.ppo.annealLearningRate),
        .float("ppo.adam_epsilon", "Adam's ε", \.ppo.adamEpsilon, in: 0...1),
        .float("ppo.max_grad_norm", "clip the gradients' global norm to this", \.ppo.maxGradientNorm, in: 1e-9...1e9),
        .bool("ppo.normalize_advantages", "normalise Â per minibatch", \.ppo.normalizeAdvantages),
        .int("ppo.sequence_length", "recurrent: train on chunks of L steps from stored memories (0: whole rollouts)",
             \.ppo.sequenceLength, in: 0...1_000_000),
        .int("ppo.burn_in", "recurrent, with sequence_length: steps replayed to refresh a chunk's memory (R2D2)",
             \.ppo.burnIn, in: 0...1_000_000),
        .bool("ppo.clip_rewards", "learn from each reward's sign, −1, 0 or +1 (DQN's and CleanRL's ClipRewardEnv); "
              + "episode returns stay raw", \.ppo.clipRewards),
        .optionalFloat("ppo.target_kl", "stop an update early past this approximate KL", \.ppo.targetKL, in: 0...1e9),
        .int("online.update_interval", "M, env steps between updates (TBPTT's truncation too)", \.online.updateInterval,
             in: 1...1_000_000),
        .string("online.learning_rule",
                "how the recurrent layer learns: rtrl (exact; elstm, mingru, lru), snap1 or uoro (approximate; gru, rnn), or tbptt",
                \.onlineLearningRule, oneOf: RecurrentLearningRule.allCases.map(\.rawValue)),
        .float("online.gamma", "discount factor γ", \.online.gamma, in: 0...1),
        .float("online.gae_lambda", "GAE parameter λ within the M steps", \.online.gaeLambda, in: 0...1),
        .float("online.value_coef", "value-loss coefficient c_v", \.online.valueCoefficient, in: 0...1e6),
        .float("online.entropy_coef", "entropy-bonus coefficient c_e", \.online.entropyCoefficient, in: 0...1e6),
        .float("online.learning_rate", "Adam step size α", \.online.learningRate, in: 0...1),
        .float("online.adam_epsilon", "Adam's ε", \.online.adamEpsilon, in: 0...1),
        .float("online.max_grad_norm", "clip the gradients' global norm to this", \.online.maxGradientNorm, in: 1e-9...1e9),
        .int("world_model.width", "H, the backbone's width (h_t)", \.dreamer.worldModel.backbone.width, in: 1...65_536),
        .int("world_model.backbone_layers", "stacked backbone layers", \.dreamer.worldModel.backbone.layers, in: 1...64),
        .int("world_model.state_size", "N: complex modes per S4 layer, states per Mamba channel", \.dreamer.worldModel.backbone.stateSize,
             in: 1...4096),
        .float("world_model.dt_min", "S4: smallest initial timestep Δ (a mode remembers ~2/Δ steps)",
               \.dreamer.worldModel.backbone.minTimestep, in: 1e-6...10),
        .float("world_model.dt_max", "S4: largest initial timestep Δ", \.dreamer.worldModel.backbone.maxTimestep, in: 1e-6...10),
        .int("world_model.blocks", "G: groups of the GRU's block-diagonal recurrence (1: dense)", \.dreamer.worldModel.backbone.blocks,
             in: 1...256),
        .int("world_model.latents", "categorical variables of the latent z", \.dreamer.worldModel.latentGroups, in: 1...1024),
        .int("world_model.classes", "classes of each latent variable", \.dreamer.worldModel.latentClasses, in: 2...1024),
        .int("world_model.units", "width of the encoder's, decoder's and heads' hidden layers", \.dreamer.worldModel.units,
             in: 1...65_536),
        .int("world_model.mlp_layers", "hidden layers of the encoder and the decoder", \.dreamer.worldModel.layers, in: 1...16),
        .int("world_model.cnn_depth", "pixels: channels d of the image encoder's first convolution (2d, 4d, 8d follow)",
             \.dreamer.worldModel.cnnDepth, in: 1...1024),
        .string("world_model.posterior", "what q(z_t | ·) reads: state (h_t and x_t, the RSSM's; sequences train step by step and "
                + "dreams start from the batch's states), observation (x_t alone, S4WM's and Drama's; sequences train "
                + "through the backbone's parallel scan and dreams start after a replayed context), "
                + "or backbone (that backbone's own)", \.worldModelPosterior,
                oneOf: ["backbone"] + WorldModelConfig.PosteriorInput.allCases.map(\.rawValue)),
        .float("world_model.free_bits", "each KL term is clamped below at this many nats", \.dreamer.worldModel.freeBits, in: 0...100),
        .float("world_model.dyn_scale", "β_dyn, weight of KL(sg(post) ‖ prior)", \.dreamer.worldModel.dynamicsScale, in: 0...1000),
        .float("world_model.rep_scale", "β_rep, weight of KL(post ‖ sg(prior))", \.dreamer.worldModel.representationScale,
               in: 0...1000),
        .float("world_model.learning_rate", "Adam step size of the world model", \.dreamer.worldModelLearningRate, in: 0...1),
        .float("world_model.adam_epsilon", "Adam's ε of the world model (DreamerV3: 1e-8)", \.dreamer.worldModelEpsilon, in: 0...1),
        .float("world_model.max_grad_norm", "clip the world model's gradients' global norm to this",
               \.dreamer.worldModelGradientClip, in: 1e-9...1e9),
        .int("dreamer.replay_capacity", "transitions the replay keeps (all envs together)", \.dreamer.replayCapacity,
             in: 1...100_000_000),
        .int("dreamer.batch_size", "B, sequences per world-model batch", \.dreamer.batchSize, in: 1...65_536),
        .int("dreamer.sequence_length", "L, steps per replayed sequence", \.dreamer.sequenceLength, in: 2...65_536),
        .optionalFloat("dreamer.dfs_temperature", "Drama's frequency-based replay sampling with temperature τ (none: uniform)",
                       \.dreamer.samplingTemperature, in: 1e-6...1e9),
        .float("dreamer.train_ratio", "replayed steps trained on per env step (B·L per update)", \.dreamer.trainRatio, in: 0...1e6),
        .int("dreamer.prefill", "env steps with random actions before the first update", \.dreamer.prefill, in: 0...Int(Int32.max)),
        .int("dreamer.iteration_steps", "env steps per env between two logged rows", \.dreamer.iterationSteps, in: 1...1_000_000),
        .bool("dreamer.sample_when_acting", "acting in training draws the posterior latent, as DreamerV3 does (false: "
              + "its most likely class; evaluation always takes that)", \.dreamer.samplesLatentsWhenActing),
        .int("dreamer.acting_window", "act from the world model's state after the last W observations, recomputed from "
             + "zeros each step as replayed sequences start (0: carry the state through the episode)",
             \.dreamer.actingWindow, in: 0...4_096),
        .int("dreamer.horizon", "imagined steps per dream", \.dreamer.horizon, in: 1...10_000),
        .int("dreamer.imagination_batch", "dreams per update (gru: at most B·L, the training batch's states; more "
             + "reads as all of them)", \.dreamer.imaginationBatch, in: 1...1_000_000),
        .int("dreamer.context", "s4, mamba: replayed steps the world model reads before each dream starts (gru dreams "
             + "start from the training batch's states)", \.dreamer.context, in: 1...10_000),
        .float("dreamer.gamma", "discount γ of imagined returns", \.dreamer.gamma, in: 0...1),
        .float("dreamer.lambda", "λ of the λ-returns", \.dreamer.lambda, in: 0...1),
        .float("dreamer.entropy_coef", "η, weight of the actor's entropy bonus", \.dreamer.entropyCoefficient, in: 0...1e6),
        .float("dreamer.return_norm_decay", "decay of the EMAs of the returns' 5th and 95th percentiles",
               \.dreamer.returnNormDecay, in: 0...1),
        .float("dreamer.slow_critic_rate", "fraction the slow critic moves towards the critic per update",
               \.dreamer.slowCriticRate, in: 0...1),
        .float("dreamer.slow_critic_reg", "weight of the critic's regulariser towards the slow critic",
               \.dreamer.slowCriticRegularizer, in: 0...1e6),
        .ints("dreamer.hidden", "widths of the actor's and the critic's hidden layers", \.dreamer.actorCriticHidden, in: 1...65_536),
        .float("dreamer.actor_learning_rate", "Adam step size of the actor", \.dreamer.actorLearningRate, in: 0...1),
        .float("dreamer.critic_learning_rate", "Adam step size of the critic", \.dreamer.criticLearningRate, in: 0...1),
        .float("dreamer.adam_epsilon", "Adam's ε of the actor and the critic (DreamerV3: 1e-5; before 2026-12-07 it set "
               + "the world model's too, now world_model.adam_epsilon)", \.dreamer.actorCriticEpsilon,
               in: 0...1),
        .float("dreamer.max_grad_norm", "clip the actor's and the critic's gradients' global norm to this",
               \.dreamer.actorCriticGradientClip, in: 1e-9...1e9),
        .int("bridge.processes", "gymnasium: envs: Python bridge processes the envs are split over, stepped concurrently",
             \.bridgeProcesses, in: 1...256),
        .bool("atari.preprocess", "pixel envs: Gymnasium's AtariPreprocessing (no-op reset, frame skip with max-pool, grayscale, "
              + "area resize) and a frame stack", \.atariPreprocess),
        .int("atari.noop_max", "most no-op actions after a reset (0: none)", \.atari.noopMax, in: 0...100_000),
        .int("atari.frame_skip", "frames per action; the env must not skip frames itself", \.atari.frameSkip, in: 1...1000),
        .int("atari.screen_size", "side of the square observation (84; 64 for world models)", \.atariScreenSize, in: 1...4096),
        .bool("atari.terminal_on_life_loss", "a lost life ends the learner's episode, not the game (CleanRL's EpisodicLifeEnv)",
              \.atari.terminalOnLifeLoss),
        .bool("atari.grayscale", "one luminance channel, else RGB", \.atari.grayscale),
        .int("atari.frame_stack", "frames stacked along the channel axis (1: none)", \.atariFrameStack, in: 1...64),
        .bool("normalize.observations", "normalise observations by running mean and std shared by the envs (VecNormalize)",
              \.normalizeObservations),
        .bool("normalize.rewards", "divide rewards by the running std of the discounted return (VecNormalize)",
              \.normalizeRewards),
        .int("run.checkpoint_every", "save a checkpoint every this many env steps (0: at the end only)", \.checkpointEvery, in: 0...Int(Int32.max)),
        .int("run.eval_episodes", "deterministic evaluation episodes at the end, and at each run.eval_every", \.evalEpisodes,
             in: 0...100_000),
        .int("run.eval_every", "evaluate every this many env steps on an env of its own (eval/episodic_return; the best "
             + "policy in checkpoints/best.safetensors; 0: only at the end)", \.evalEvery, in: 0...Int(Int32.max)),
        .int("run.keep_checkpoints", "keep only the newest this many checkpoints (0: all)", \.keepCheckpoints, in: 0...1_000_000),
        .string("run.non_finite", "a NaN or infinite observation or reward from an env: stop (checkpoint, then a clear error) "
                + "or zero (replace by 0, count, warn)", \.nonFinite, oneOf: ["stop", "zero"]),
        .int("remote.timeout_ms", "zmq:// envs: milliseconds to wait for a reply before resending", \.remoteTimeoutMilliseconds,
             in: 1...3_600_000),
        .int("remote.retries", "zmq:// envs: resends before the server counts as gone (the run then checkpoints and stops)",
             \.remoteRetries, in: 0...1000),
        .string("remote.curve_server_key", "zmq:// envs: the servers' CURVE public key (Z85, or a server.key file); none: no CURVE",
                \.curveServerKey),
        .string("remote.curve_client_key", "zmq:// envs: this client's CURVE certificate (NAME.key_secret) for a server "
                + "with an allow-list; none: a fresh key pair", \.curveClientKey),
    ])

    /// The CURVE keys the `remote.*` keys name (nil without a server key).
    public func curveClientKeys() throws -> CurveClientKeys? {
        guard curveServerKey != "none" else {
            if curveClientKey != "none" { throw ConfigError("remote.curve_client_key needs remote.curve_server_key (the server's public key)") }
            return nil
        }
        do {
            return try CurveClientKeys(serverKey: curveServerKey, clientSecretFile: curveClientKey == "none" ? nil : curveClientKey)
        } catch let error as CurveKeyError {
            throw ConfigError(error.description)
        }
    }

    /// A preset file with overrides applied.
    ///
    /// A preset may begin `base = "NAME"`: it then starts from the preset
    /// NAME.toml in its own folder (itself possibly based on another) and
    /// its own keys apply after the base's, later keys winning; a `size` it
    /// names resets the widths its base set one by one.
    /// - Parameter resolved: the file is a run folder's `config.toml` (older
    ///   ones wrote out the other algorithms' keys too); a preset or `--set`
    ///   naming a key the algorithm does not read is otherwise an error.
    /// - Throws: `ConfigError` naming the file, the key and what is allowed.
    public static func load(preset url: URL, overrides: [String] = [], resolved: Bool = false) throws -> TrainConfig {
        var config = TrainConfig()
        let layers = try presetLayers(url), sets = try overrides.map(parseOverride)
        for layer in layers { try config.apply(layer.pairs, source: layer.url.path) }
        try config.apply(sets, source: "--set")
        let fileChecks = resolved ? [] : layers.map { ($0.pairs.map(\.key), $0.url.path) }
        for (keys, source) in fileChecks + [(sets.map(\.key), "--set")] {
            if let key = keys.first(where: { !config.uses($0) }) {
                throw ConfigError("\(source): \(key) has no effect with algorithm = \"\(config.algorithm)\"; it configures "
                                  + (Self.algorithms(using: key) ?? []).map { "\"\($0)\"" }.joined(separator: " or "))
            }
        }
        return config
    }

    /// A preset file's key–value pairs after those of its `base` chain,
    /// the furthest base first.
    static func presetLayers(_ url: URL, chain: [URL] = []) throws -> [(url: URL, pairs: [(key: String, value: ConfigValue)])] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ConfigError("cannot read preset \(url.path): \(error.localizedDescription)")
        }
        let pairs = try parseTOML(text, source: url.path)
        guard let base = pairs.first(where: { $0.key == "base" }) else { return [(url, pairs)] }
        guard case .string(let name) = base.value, !name.isEmpty, !name.contains("/") else {
            throw ConfigError("\(url.path): base must name another preset in the same folder, as a string (base = \"ppo-cartpole\"); got \(base.value)")
        }
        let baseURL = url.deletingLastPathComponent().appendingPathComponent(name.hasSuffix(".toml") ? name : name + ".toml")
        let seen = chain + [url]
        if seen.map(\.standardizedFileURL).contains(baseURL.standardizedFileURL) {
            throw ConfigError("\(url.path): base presets form a cycle: "
                              + (seen + [baseURL]).map { $0.deletingPathExtension().lastPathComponent }.joined(separator: " → "))
        }
        guard FileManager.default.fileExists(atPath: baseURL.path) else {
            throw ConfigError("\(url.path): base = \"\(name)\" names no preset: \(baseURL.path) does not exist")
        }
        return try presetLayers(baseURL, chain: seen) + [(url, pairs.filter { $0.key != "base" })]
    }

    /// The algorithms a key configures, for keys that only some use (nil: all).
    static func algorithms(using key: String) -> [String]? {
        if key.hasPrefix("ppo.") { return ["ppo"] }
        if key.hasPrefix("online.") { return ["online-ac"] }
        if key.hasPrefix("policy.") { return ["ppo", "online-ac"] }
        if key.hasPrefix("dreamer.") || key.hasPrefix("world_model.") || key == "backbone" || key == "size" { return ["dreamer"] }
        return nil
    }

    /// Whether `key` changes anything under this config's algorithm (a preset
    /// or `--set` naming a key that does not is a mistake worth an error).
    func uses(_ key: String) -> Bool { Self.algorithms(using: key)?.contains(algorithm) ?? true }

    /// Writes key–value pairs, a `size` first so the keys it sets can be
    /// overridden one by one in the same file or `--set`s.
    public mutating func apply(_ pairs: [(key: String, value: ConfigValue)], source: String) throws {
        try Self.schema.apply(pairs.filter { $0.key == "size" } + pairs.filter { $0.key != "size" }, to: &self, source: source)
    }

    /// The envs run in other processes: servers (`zmq://`, `tcp://`) or Gymnasium bridges this run starts (`gymnasium:`).
    public var isServed: Bool {
        env.hasPrefix("zmq://") || env.hasPrefix("tcp://") || env.hasPrefix("ipc://") || env.hasPrefix(GymnasiumBridge.prefix)
    }

    /// `atari.screen_size` as the schema reads and writes it: a square.
    var atariScreenSize: Int {
        get { atari.screen.height }
        set { atari.screen = .init(height: newValue, width: newValue) }
    }

    /// `backbone` as the schema reads and writes it.
    var backbone: String {
        get { dreamer.worldModel.backbone.kind.rawValue }
        set { dreamer.worldModel.backbone.kind = BackboneConfig.Kind(rawValue: newValue) ?? .gru }
    }

    /// `size`: naming one sets the widths it stands for; it reads back as
    /// "custom" since the widths are written out key by key.
    var size: String {
        get { "custom" }
        set { if let size = DreamerConfig.Size(rawValue: newValue) { dreamer.apply(size) } }
    }

    /// The network these keys describe.
    public var policySpec: PolicySpec {
        PolicySpec(hidden: hidden, activation: Activation(rawValue: activation) ?? .tanh, squashActions: squashActions,
                   memory: RecurrentActorCritic.CellKind(rawValue: memory), memorySize: memorySize,
                   encoderSize: encoderSize, forgetBias: forgetBias, encoder: PolicySpec.Encoder(rawValue: encoder) ?? .auto)
    }

    /// The discount of the algorithm in use (reward normalisation follows it).
    public var gamma: Float {
        switch algorithm {
        case "ppo": ppo.gamma
        case "dreamer": dreamer.gamma
        default: online.gamma
        }
    }

    /// `online.learning_rule` as the schema reads and writes it (the schema
    /// admits only the rules' names, so the fallback is never taken).
    var onlineLearningRule: String {
        get { online.learningRule.rawValue }
        set { online.learningRule = RecurrentLearningRule(rawValue: newValue) ?? .rtrl }
    }

    /// `world_model.posterior` as the schema reads and writes it ("backbone": nil).
    var worldModelPosterior: String {
        get { dreamer.worldModel.posteriorInput?.rawValue ?? "backbone" }
        set { dreamer.worldModel.posteriorInput = WorldModelConfig.PosteriorInput(rawValue: newValue) }
    }

    /// The resolved config as TOML (the run folder's `config.toml`).
    /// Every key this config's algorithm reads, as a preset: `reverie train
    /// --resume` reads it back, and `reverie train RUN/config.toml` trains the same run again.
    public var toml: String {
        Self.schema.render(self, header: "Resolved by reverie train; `reverie train --resume` reads it back, and as a preset it trains the same run again.",
                           including: uses)
    }
}
