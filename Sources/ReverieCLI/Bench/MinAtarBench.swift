import Foundation
import ReverieEnvs

/// MinAtar's games stepped with uniformly random actions (BENCHMARKS.md's
/// `minatar` workload): our vector env of 64 (`MinAtar/<Game>-v1` as
/// `Registry.makeVector` builds it for training — the batched `MinAtarVector`,
/// sticky actions and episode statistics included, same-step autoreset) on one thread, against, in the same run,
/// the `minatar` package (one env, and Gymnasium's SyncVectorEnv of 8) and
/// gymnax's MinAtar jitted and vmapped over 64 and 1024 envs on one XLA
/// thread (bench/peers/minatar_env.py). Headline: the geometric mean over
/// games of ours against gymnax's faster setting.
struct MinAtarBench {
    var repeats = 3
    /// The `minatar` package's games, as our registry and gymnax name them.
    static let allGames = ["Asterix", "Breakout", "Freeway", "Seaquest", "SpaceInvaders"]
    var games = Self.allGames
    var steps = 2_000_000
    var envs = 64
    /// Whether to run the Python peers beside ours.
    var withPeer = true

    func run() throws -> BenchResult {
        let peer = withPeer ? try PythonPeer().run("minatar_env.py", ["--games", games.joined(separator: ","),
                                                                      "--repeats", "\(repeats)"]) : [:]
        let peerGames = peer["games"] as? [String: [String: Double]] ?? [:]
        var rows: [[String: Any]] = [], logRatio = 0.0, compared = 0
        var lines = ["MinAtar, random actions, steps/s, one thread: game   ours (\(envs) envs)   package (1 | 8)   gymnax (64 | 1024)   ours / package 8   ours / gymnax best"]
        for game in games {
            let ours = try Double(steps) / medianSeconds(repeats: repeats) { try step(game) }
            let p = peerGames[game] ?? [:]
            let package8 = p["package_vector8"] ?? .nan
            let gymnaxBest = max(p["gymnax_64"] ?? .nan, p["gymnax_1024"] ?? .nan)
            if gymnaxBest.isFinite { logRatio += log(ours / gymnaxBest); compared += 1 }
            rows.append(["game": game, "ours": rounded(ours), "package_single": rounded(p["package_single"] ?? .nan),
                         "package_vector8": rounded(package8), "gymnax_64": rounded(p["gymnax_64"] ?? .nan),
                         "gymnax_1024": rounded(p["gymnax_1024"] ?? .nan),
                         "gymnax_compile_s": [rounded(p["gymnax_64_compile_s"] ?? .nan), rounded(p["gymnax_1024_compile_s"] ?? .nan)],
                         "ratio_package_vector8": rounded(ours / package8), "ratio_gymnax_best": rounded(ours / gymnaxBest)])
            func whole(_ x: Double?) -> String { x.map { $0.isFinite ? "\(Int($0))" : "–" } ?? "–" }
            lines.append("  \(game)".padding(16) + whole(ours).padding(12)
                         + "\(whole(p["package_single"])) | \(whole(package8))".padding(18)
                         + "\(whole(p["gymnax_64"])) | \(whole(p["gymnax_1024"]))".padding(22)
                         + "\(rounded(ours / package8, digits: 10))".padding(10) + "\(rounded(ours / gymnaxBest, digits: 100))")
        }
        let geometric = compared > 0 ? exp(logRatio / Double(compared)) : .nan
        return BenchResult(workload: "minatar", ours: geometric, peer: 1, unit: "× gymnax's best (geometric mean over games)",
                           details: ["games": rows, "envs": envs, "steps": steps, "threads": 1,
                                     "jax": peer["jax"] as? String ?? "", "minatar": peer["minatar"] as? String ?? ""],
                           table: lines.joined(separator: "\n"))
    }

    private func step(_ game: String) throws {
        let vector = try Registry.makeVector("MinAtar/\(game)-v1", count: envs)
        guard case .discrete(let actions) = vector.singleActionSpace else { preconditionFailure("MinAtar's actions are discrete") }
        var rng = RandomGenerator(seed: 1)
        _ = try vector.reset(seed: 0)
        for _ in 0..<(steps / envs) {
            let batch = Tensor(shape: [envs]) { a in for i in 0..<envs { a[i] = Float(rng.int(below: actions)) } }
            _ = try vector.step(batch)
        }
    }
}
