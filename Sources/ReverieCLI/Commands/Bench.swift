import ArgumentParser
import Foundation
import ReverieWorldModels

/// `reverie bench WORKLOAD`: one workload measured side by side with its peer
/// in one process, printed as one JSON object (see bench/README.md).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a workload against its peer, side by side, in one run.",
        discussion: """
            Every result has `workload`, `ours`, `peer`, `unit` and `ratio` (ours relative \
            to peer; above 1 is better for Reverie), plus workload details.
            """)

    enum Workload: String, ExpressibleByArgument, CaseIterable {
        case gemm, mlp, env, zmq, ppo, conv, minatar
        case ppoMinAtar = "ppo-minatar"
        case ppoAtari = "ppo-atari"
        case ppoLSTM = "ppo-lstm"
        case tmaze, rtrl, backbone
        case wmGRU = "wm-gru", wmS5 = "wm-s5", wmMamba = "wm-mamba"
        case dreamer
        case dreamerStep = "dreamer-step"
        case wmMemory = "wm-memory"
        case viewer
    }

    @Argument(help: "What to measure: \(Workload.allCases.map(\.rawValue).joined(separator: ", ")).")
    var workload: Workload

    @Flag(help: "Print only the JSON object (otherwise also a readable table on stderr).")
    var json = false

    @Option(help: "Timed repetitions per measurement; the median is reported.")
    var repeats = 7

    @Option(help: "tmaze: corridor lengths (default 10,40); backbone, wm-gru, wm-s5, wm-mamba: sequence lengths (default 64,256,1024). Comma-separated.")
    var lengths: String?

    @Option(help: "tmaze, dreamer: seeds, comma-separated; ppo-minatar: the first is used.")
    var seeds = "1,2,3"

    @Option(help: "tmaze: environment steps per run (1,000,000); wm-memory: random steps the world models train on (20,000); ppo-minatar: training steps per side and network (2,000,000); ppo-atari: per side and round (20,480).")
    var steps: Int?

    @Option(help: "ppo-minatar: the game (Asterix, Breakout, Freeway, Seaquest, SpaceInvaders); ppo-atari: Pong or Breakout.")
    var game = "Breakout"

    @Option(help: "ppo-minatar: the training return whose wall time is reported.")
    var target = 40.0

    @Option(help: "wm-memory: world-model updates per backbone.")
    var updates = 500

    @Option(help: "wm-memory: real steps read before imagining.")
    var context = 100

    @Option(help: "wm-memory: steps after the context at which the imagined frames are scored (default 10,50,100). Comma-separated.")
    var horizons: String?

    @Option(help: "wm-memory: replayed sequences per update.")
    var trainBatch = 16

    @Option(help: "wm-memory: length of the replayed sequences the world models train on.")
    var trainLength = 64

    @Option(help: "wm-memory: the image env whose random play the world models learn (default MemoryMaze?rooms=2&roomSize=3).")
    var env: String?

    @Option(help: "conv: networks (\(ConvBench.cases.map(\.name).joined(separator: ","))); ppo-minatar: networks (minatar,mlp); minatar: games (Asterix,Breakout,Freeway,Seaquest,SpaceInvaders); dreamer-step: observations (vector,pixels). Comma-separated.")
    var networks: String?

    @Flag(help: "wm-gru, wm-s5, wm-mamba, conv, minatar, ppo-minatar, dreamer-step: measure our side only (no Python peer).")
    var oursOnly = false

    @Option(help: "dreamer, wm-memory: backbones, comma-separated (gru,s4,mamba).")
    var backbones = "gru,s4,mamba"

    @Option(help: .hidden)
    var probe: String?

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1.") }
        if workload == .wmMemory, trainBatch < 1 || trainLength < 2 {
            throw ValidationError("wm-memory trains on batches of at least one sequence of at least 2 steps; "
                                  + "got --train-batch \(trainBatch), --train-length \(trainLength)")
        }
    }

    func run() throws {
        if let probe, workload == .rtrl {
            print(try RTRLBench().measure(probe))
            return
        }
        if let probe, workload == .zmq, probe.hasPrefix("echo:") {
            try ZmqBench.echo(at: String(probe.dropFirst(5)))
            return
        }
        let result: BenchResult
        switch workload {
        case .gemm: result = GemmBench(repeats: repeats).run()
        case .mlp: result = MLPBench(repeats: repeats).run()
        case .env: result = try EnvBench(repeats: repeats).run()
        case .minatar:
            var bench = MinAtarBench(repeats: min(repeats, 3), withPeer: !oursOnly)
            if let networks { bench.games = networks.split(separator: ",").map(String.init) }
            result = try bench.run()
        case .ppoMinAtar:
            let games = MinAtarBench.allGames
            guard games.contains(game) else { throw ValidationError("unknown game \(game); choose from \(games.joined(separator: ", "))") }
            let names = networks.map { $0.split(separator: ",").map(String.init) } ?? PPOMinAtarBench.networks
            if let unknown = names.first(where: { !PPOMinAtarBench.networks.contains($0) }) {
                throw ValidationError("unknown network \(unknown); choose from \(PPOMinAtarBench.networks.joined(separator: ", "))")
            }
            result = try PPOMinAtarBench(game: game, networks: names, steps: steps ?? 2_000_000,
                                         seed: try seedList()[0],
                                         target: target, withPeer: !oursOnly).run()
        case .ppoAtari:
            guard ["Pong", "Breakout"].contains(game) else { throw ValidationError("ppo-atari plays Pong or Breakout (its presets); got \(game)") }
            result = try PPOAtariBench(game: game, steps: steps ?? 20_480,
                                       seed: try seedList()[0],
                                       rounds: min(repeats, 3), withPeer: !oursOnly).run()
        case .zmq: result = try ZmqBench(repeats: repeats).run()
        case .ppo: result = try PPOBench().run()
        case .conv:
            let names = networks.map { $0.split(separator: ",").map(String.init) } ?? ConvBench.cases.map(\.name)
            if let unknown = names.first(where: { name in !ConvBench.cases.contains { $0.name == name } }) {
                throw ValidationError("unknown network \(unknown); choose from \(ConvBench.cases.map(\.name).joined(separator: ", "))")
            }
            result = try ConvBench(repeats: repeats, networks: names, withPeer: !oursOnly).run()
        case .ppoLSTM: result = try PPOBench(recurrent: true).run()
        case .rtrl: result = try RTRLBench(repeats: min(repeats, 5)).run()
        case .backbone, .wmGRU, .wmS5, .wmMamba:
            let kinds: [BackboneConfig.Kind] = switch workload {
            case .wmGRU: [.gru]
            case .wmS5: [.s4]
            case .wmMamba: [.mamba]
            default: BackboneConfig.Kind.allCases
            }
            result = try BackboneBench(kinds: kinds, withPeer: workload != .backbone && !oursOnly,
                                       lengths: try positiveIntegers(lengths ?? "64,256,1024", option: "--lengths", example: "64,256,1024"),
                                       repeats: min(repeats, 3)).run()
        case .dreamer:
            result = try DreamerBench(backbones: backbones.split(separator: ",").map(String.init),
                                      seeds: try seedList()).run()
        case .dreamerStep:
            var bench = DreamerStepBench(repeats: min(repeats, 3), withPeer: !oursOnly)
            if let networks { bench.observations = networks.split(separator: ",").map(String.init) }
            guard !bench.observations.isEmpty else { throw ValidationError("--networks names no observations; choose from vector, pixels") }
            if let unknown = bench.observations.first(where: { DreamerStepBench.environments[$0] == nil }) {
                throw ValidationError("unknown observations \(unknown); choose from vector, pixels")
            }
            result = try bench.run()
        case .wmMemory:
            let kinds = try backbones.split(separator: ",").map { name in
                guard let kind = BackboneConfig.Kind(rawValue: String(name)) else {
                    throw ValidationError("unknown backbone \(name); choose from gru, s4, mamba")
                }
                return kind
            }
            var bench = WorldModelMemoryBench(backbones: kinds, replaySteps: steps ?? 20_000, updates: updates, context: context)
            (bench.batch, bench.length) = (trainBatch, trainLength)
            if let horizons { bench.horizons = try positiveIntegers(horizons, option: "--horizons", example: "10,50,100") }
            if let env { bench.environment = env }
            result = try bench.run()
        case .viewer:
            result = try ViewerBench().run()
        case .tmaze:
            result = try TMazeBench(lengths: try positiveIntegers(lengths ?? "10,40", option: "--lengths", example: "10,40"),
                                    seeds: try seedList(), steps: steps ?? 1_000_000).run()
        }
        if !json { FileHandle.standardError.write(Data((result.table + "\n" + "OpenBLAS kernels: \(BLASKernels.coreName) (\(BLASKernels.reason))" + "\n").utf8)) }
        print(result.json)
    }

    /// A comma-separated list of positive integers, each token checked (spaces allowed).
    private func positiveIntegers(_ list: String, option: String, example: String) throws -> [Int] {
        try integers(list, option: option, minimum: 1, kind: "positive integers", example: example)
    }

    /// `--seeds`: non-negative integers, each token checked.
    private func seedList() throws -> [Int] {
        try integers(seeds, option: "--seeds", minimum: 0, kind: "non-negative integers", example: "1,2,3")
    }

    /// Integers ≥ `minimum`; a token that is not one (an empty one too) is named in the error.
    private func integers(_ list: String, option: String, minimum: Int, kind: String, example: String) throws -> [Int] {
        try list.split(separator: ",", omittingEmptySubsequences: false).map { token in
            let text = token.trimmingCharacters(in: .whitespaces)
            guard let value = Int(text), value >= minimum else {
                throw ValidationError("\(option) takes \(kind) separated by commas (\(example)); got \"\(text)\"")
            }
            return value
        }
    }
}
