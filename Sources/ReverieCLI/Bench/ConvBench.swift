import Foundation
import ReverieAgents
import ReverieEnvs
import ReverieWorldModels

/// Training steps of the convolutional networks pixel RL runs on
/// (BENCHMARKS.md's `conv` workload), forward, backward and Adam, beside the
/// same steps in PyTorch (`bench/peers/conv_ppo.py`) with as many threads:
///
/// - `nature`, `impala`, `minatar`: a PPO minibatch update of a shared-trunk
///   actor-critic (CleanRL's ppo_atari and ppo_procgen) — the Nature CNN on
///   84×84×4 at batch 256, the IMPALA ResNet on 64×64×3 at batch 256,
///   MinAtar's network on 10×10×4 at batch 512; 6 actions; PPO's clipped
///   surrogate, value and entropy losses and global-norm clipping at 0.5.
/// - `dreamer-encoder`, `dreamer-decoder`: DreamerV3's image encoder and
///   transposed-conv decoder at depth 32 (its S size) on 64×64×3, batch 256:
///   the encoder under a squared-embedding loss, the decoder from 1,024
///   features under its reconstruction loss.
///
/// Peer and ours alternate over `rounds` rounds; each figure is the median
/// over them of each run's median over `repeats`. Beside the times, each
/// step's product FLOPs (counted on ours; the peer runs the same network),
/// each side's fraction of the machine's peak (FMA probe × threads), and the
/// ratio ours would reach at that peak: the ceiling of any speed-up.
struct ConvBench {
    var repeats = 5
    var rounds = 3
    /// The cases to measure, by name.
    var networks = cases.map(\.name)
    /// Whether to run the PyTorch peer beside ours.
    var withPeer = true

    enum Network {
        case actorCritic(ImageEncoder.Kind, shape: [Int])
        case dreamerEncoder, dreamerDecoder
    }

    static let cases: [(name: String, network: Network, batch: Int)] = [
        ("nature", .actorCritic(.nature, shape: [84, 84, 4]), 256),
        ("impala", .actorCritic(.impala, shape: [64, 64, 3]), 256),
        ("minatar", .actorCritic(.minatar, shape: [10, 10, 4]), 512),
        ("dreamer-encoder", .dreamerEncoder, 256),
        ("dreamer-decoder", .dreamerDecoder, 256),
    ]
    static let dreamerDepth = 32, dreamerFeatures = 1024

    private var chosen: [(name: String, network: Network, batch: Int)] { Self.cases.filter { networks.contains($0.name) } }

    /// Milliseconds per training step for each chosen case, one run, and
    /// each step's product FLOPs (counted on the warm-up step).
    func ours() throws -> [(ms: Double, flops: Double)] {
        try chosen.map { c in
            var rng = RandomGenerator(seed: 1)
            let step = try Self.trainingStep(c.network, batch: c.batch, rng: &rng)
            let (seconds, flops) = countedMedianSeconds(repeats: repeats, step)
            return (1e3 * seconds, flops)
        }
    }

    /// One case's step: a fixed batch, the network and its optimiser, ready to run repeatedly.
    static func trainingStep(_ network: Network, batch: Int, rng: inout RandomGenerator) throws -> () -> Void {
        func pixels(_ shape: [Int]) -> Tensor {
            let size = shape.reduce(1, *)
            return Tensor((0..<(batch * size)).map { _ in Float(rng.int(below: 256)) }, shape: [batch, size])
        }
        switch network {
        case .actorCritic(let kind, let shape):
            let space = Space.box(low: 0, high: 255, shape: shape, dtype: .uint8)
            let model = try ConvActorCritic(kind, observationSpace: space, head: .categorical(6), rng: &rng)
            let optimizer = Adam(model, learningRate: 2.5e-4, epsilon: 1e-5)
            let images = pixels(shape)
            let actions = (0..<batch).map { _ in Float(rng.int(below: 6)) }
            let oldLogProbs = Tensor(repeating: -Float(log(6.0)), shape: [batch])
            let advantages = Tensor.normal([batch], using: &rng), returns = Tensor.normal([batch], using: &rng)
            return {
                var (_, gradients) = valueWithGradients(wrt: optimizer.parameters) {
                    let (pi, values) = model(images)
                    let ratio = (pi.logProb(actions) - oldLogProbs).exp()
                    let surrogate = Tensor.minimum(ratio * advantages, ratio.clamped(0.9, 1.1) * advantages)
                    return -surrogate.mean() + 0.5 * (values - returns).squared().mean() - 0.01 * pi.entropy(estimatingWith: actions).mean()
                }
                _ = clipGlobalNorm(&gradients, maxNorm: 0.5)
                optimizer.update(gradients)
            }
        case .dreamerEncoder:
            let encoder = PixelEncoder(height: 64, width: 64, channels: 3, depth: dreamerDepth, rng: &rng)
            let optimizer = Adam(encoder, learningRate: 1e-4, epsilon: 1e-8)
            let images = pixels([64, 64, 3])
            return {
                let (_, gradients) = valueWithGradients(wrt: optimizer.parameters) { encoder(images).squared().mean() }
                optimizer.update(gradients)
            }
        case .dreamerDecoder:
            let decoder = PixelDecoder(featureSize: dreamerFeatures, height: 64, width: 64, channels: 3, depth: dreamerDepth, rng: &rng)
            let optimizer = Adam(decoder, learningRate: 1e-4, epsilon: 1e-8)
            let features = Tensor.normal([batch, dreamerFeatures], using: &rng), targets = pixels([64, 64, 3])
            return {
                let (_, gradients) = valueWithGradients(wrt: optimizer.parameters) { decoder.loss(features, targets: targets).mean() }
                optimizer.update(gradients)
            }
        }
    }

    func run() throws -> BenchResult {
        var ourRounds: [[Double]] = [], peerRounds: [[Double]] = []
        var peerName = "", flops: [Double] = []
        var peak = MachinePeak()
        for _ in 0..<rounds {
            if withPeer {
                let peer = try PythonPeer().run("conv_ppo.py", ["--repeats", "\(repeats)", "--threads", "\(Parallel.workers)",
                                                                "--cases", networks.joined(separator: ",")])
                let rows = peer["cases"] as? [[String: Any]] ?? []
                peerRounds.append(chosen.map { c in rows.first { $0["network"] as? String == c.name }?["ms_per_update"] as? Double ?? .nan })
                peerName = peer["peer"] as? String ?? ""
            } else {
                peerRounds.append(chosen.map { _ in .nan })
            }
            let measured = try ours()
            ourRounds.append(measured.map(\.ms))
            flops = measured.map(\.flops)
        }
        peak.remeasure()
        var lines = ["Training step (forward, backward, Adam), ms: network   batch   ours   \(peerName)   ratio   "
                     + "GFLOP/step   of peak (ours, peer)   ratio at peak"]
        var rows: [[String: Any]] = [], logRatio = 0.0
        for (i, c) in chosen.enumerated() {
            let ours = median(ourRounds.map { $0[i] }), peer = median(peerRounds.map { $0[i] })
            let floorMs = 1e3 * flops[i] / peak.flopsPerSecond
            logRatio += log(peer / ours)
            rows.append(["network": c.name, "batch": c.batch, "ours_ms": rounded(ours), "peer_ms": rounded(peer),
                         "ratio": rounded(peer / ours), "rounds_ours_ms": ourRounds.map { rounded($0[i]) },
                         "rounds_peer_ms": peerRounds.map { rounded($0[i]) }, "product_gflop_per_step": rounded(flops[i] / 1e9),
                         "ours_fraction_of_peak": rounded(floorMs / ours), "peer_fraction_of_peak": rounded(floorMs / peer),
                         "ratio_at_peak": rounded(peer / floorMs)])
            lines.append("  \(c.name)".padding(18) + "\(c.batch)".padding(8) + "\(rounded(ours, digits: 10))".padding(9)
                         + "\(rounded(peer, digits: 10))".padding(12) + "\(rounded(peer / ours))".padding(8)
                         + "\(rounded(flops[i] / 1e9, digits: 100))".padding(13)
                         + "\(rounded(floorMs / ours)), \(rounded(floorMs / peer))".padding(23) + "\(rounded(peer / floorMs))")
        }
        lines.append("\(peak.description); products: \(ProductKernel.current.description)")
        let geometric = exp(logRatio / Double(chosen.count))
        return BenchResult(workload: "conv", ours: geometric, peer: 1, unit: "× PyTorch (geometric mean of peer/ours times)",
                           details: ["cases": rows, "peer_name": peerName, "threads": Parallel.workers, "rounds": rounds,
                                     "peak_gflops_per_thread": rounded(peak.perThread),
                                     "repeats": repeats, "dreamer_depth": Self.dreamerDepth],
                           table: lines.joined(separator: "\n"))
    }
}
