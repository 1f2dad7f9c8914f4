import Foundation
import ReverieAgents
import ReverieEnvs

/// A convolutional actor-critic's PPO minibatch update (BENCHMARKS.md's
/// `conv` workload): forward, backward and Adam on CleanRL's ppo_atari
/// network — the Nature CNN on 84×84×4 at batch 256, MinAtar's network on
/// 10×10×4 at batch 512, 6 actions — with PPO's clipped surrogate, value and
/// entropy losses and global-norm clipping, beside the same update in PyTorch
/// (`bench/peers/conv_ppo.py`) with as many threads as ours. Peer and ours
/// alternate over `rounds` rounds; each figure is the median over them of
/// each run's median over `repeats`.
struct ConvBench {
    var repeats = 5
    var rounds = 3
    static let cases: [(name: String, kind: ImageEncoder.Kind, shape: [Int], batch: Int)] = [
        ("nature", .nature, [84, 84, 4], 256), ("minatar", .minatar, [10, 10, 4], 512),
    ]

    /// Milliseconds per update for each case, one run.
    func ours() throws -> [Double] {
        try Self.cases.map { c in
            var rng = RandomGenerator(seed: 1)
            let space = Space.box(low: 0, high: 255, shape: c.shape, dtype: .uint8)
            let model = try ConvActorCritic(c.kind, observationSpace: space, head: .categorical(6), rng: &rng)
            let optimizer = Adam(model, learningRate: 2.5e-4, epsilon: 1e-5)
            let size = c.shape.reduce(1, *)
            let images = Tensor((0..<(c.batch * size)).map { _ in Float(rng.int(below: 256)) }, shape: [c.batch, size])
            let actions = (0..<c.batch).map { _ in Float(rng.int(below: 6)) }
            let oldLogProbs = Tensor(repeating: -Float(log(6.0)), shape: [c.batch])
            let advantages = Tensor.normal([c.batch], using: &rng), returns = Tensor.normal([c.batch], using: &rng)
            return 1e3 * medianSeconds(repeats: repeats) {
                var (_, gradients) = valueWithGradients(wrt: optimizer.parameters) {
                    let (pi, values) = model(images)
                    let ratio = (pi.logProb(actions) - oldLogProbs).exp()
                    let surrogate = Tensor.minimum(ratio * advantages, ratio.clamped(0.9, 1.1) * advantages)
                    return -surrogate.mean() + 0.5 * (values - returns).squared().mean() - 0.01 * pi.entropy(estimatingWith: actions).mean()
                }
                _ = clipGlobalNorm(&gradients, maxNorm: 0.5)
                optimizer.update(gradients)
            }
        }
    }

    func run() throws -> BenchResult {
        var ourRounds: [[Double]] = [], peerRounds: [[Double]] = []
        var peerName = ""
        for _ in 0..<rounds {
            let peer = try PythonPeer().run("conv_ppo.py", ["--repeats", "\(repeats)", "--threads", "\(Parallel.workers)"])
            let rows = peer["cases"] as? [[String: Any]] ?? []
            peerRounds.append(Self.cases.map { c in rows.first { $0["network"] as? String == c.name }?["ms_per_update"] as? Double ?? .nan })
            peerName = peer["peer"] as? String ?? ""
            ourRounds.append(try ours())
        }
        var lines = ["PPO minibatch update (forward, backward, Adam), ms: network   batch   ours   \(peerName)   ratio"]
        var rows: [[String: Any]] = [], logRatio = 0.0
        for (i, c) in Self.cases.enumerated() {
            let ours = median(ourRounds.map { $0[i] }), peer = median(peerRounds.map { $0[i] })
            logRatio += log(peer / ours)
            rows.append(["network": c.name, "batch": c.batch, "image": c.shape, "ours_ms": rounded(ours), "peer_ms": rounded(peer),
                         "ratio": rounded(peer / ours), "rounds_ours_ms": ourRounds.map { rounded($0[i]) },
                         "rounds_peer_ms": peerRounds.map { rounded($0[i]) }])
            lines.append("  \(c.name)".padding(12) + "\(c.batch)".padding(8) + "\(rounded(ours, digits: 10))".padding(9)
                         + "\(rounded(peer, digits: 10))".padding(12) + "\(rounded(peer / ours))")
        }
        let geometric = exp(logRatio / Double(Self.cases.count))
        return BenchResult(workload: "conv", ours: geometric, peer: 1, unit: "× PyTorch (geometric mean of peer/ours times)",
                           details: ["cases": rows, "peer_name": peerName, "threads": Parallel.workers, "rounds": rounds, "repeats": repeats],
                           table: lines.joined(separator: "\n"))
    }
}
