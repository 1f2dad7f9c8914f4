import Foundation
import ReverieWorldModels

/// The world-model backbones' training step (BENCHMARKS.md's wm-gru, wm-s5,
/// wm-mamba shapes): B 16, width 256, 2 layers, Adam, loss = mean square of
/// the outputs; S4 with 64 complex modes, Mamba with 16 states and expand 2.
/// Milliseconds per step at L = 64, 256 and 1024, median of `repeats` after a
/// warm-up. Our side only: the PyTorch peers (torch.nn.GRU, s5-pytorch,
/// mambapy) are not wired in yet, so the result has no ratio.
struct BackboneBench {
    var repeats = 3
    var lengths = [64, 256, 1024]

    func run() -> BenchResult {
        var rows: [[String: Any]] = []
        var lines = ["backbone train step, B 16, d 256, 2 layers, Adam   ms/step at L = \(lengths.map(String.init).joined(separator: ", "))"]
        var headline = 0.0
        for kind in BackboneConfig.Kind.allCases {
            var rng = RandomGenerator(seed: 1)
            let config = BackboneConfig(kind: kind, width: 256, layers: 2, stateSize: kind == .mamba ? 16 : 64)
            let backbone = config.make(inputSize: 256, rng: &rng)
            let optimizer = Adam(backbone, learningRate: 1e-4)
            var times: [String] = []
            for length in lengths {
                let inputs = Tensor.uniform([16, length, 256], low: -1, high: 1, using: &rng)
                let resets = [Bool](repeating: false, count: 16 * length)
                let seconds = medianSeconds(repeats: length >= 1024 ? 1 : repeats) {
                    let (_, gradients) = valueWithGradients(wrt: optimizer.parameters) {
                        backbone.scan(inputs, backbone.initialState(batch: 16), resets: resets).outputs.squared().mean()
                    }
                    optimizer.update(gradients)
                }
                if kind == .gru && length == 64 { headline = seconds * 1e3 }
                rows.append(["backbone": kind.rawValue, "length": length, "ms_per_step": rounded(seconds * 1e3)])
                times.append(String(format: "%.1f", seconds * 1e3))
            }
            lines.append("  " + kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0) + times.joined(separator: ", "))
        }
        return BenchResult(workload: "backbone", ours: headline, peer: nil,
                           unit: "ms per training step (gru at L = 64; the rest in cases)",
                           details: ["cases": rows, "batch": 16, "width": 256, "layers": 2], table: lines.joined(separator: "\n"))
    }
}
