import ReverieCore
import ReverieNN

/// Forward + backward of an MLP (batch 256, width 256, 4 linear layers, tanh,
/// squared-error loss) through the tape, as a fraction of the machine's sgemm
/// rate for the same 256×256×256 product measured in the same run: the
/// model-FLOP utilisation of a small, realistic training step.
struct MLPBench {
    var repeats: Int
    var batch = 256, width = 256, layers = 4

    func run() -> BenchResult {
        var rng = RandomGenerator(seed: 0)
        let mlp = MLP(width, hidden: Array(repeating: width, count: layers - 1), width, activation: .tanh, rng: &rng)
        let x = Tensor.uniform([batch, width], low: -1, high: 1, using: &rng)
        let target = Tensor.uniform([batch, width], low: -1, high: 1, using: &rng)
        // Each linear layer: 2·B·in·out forward, twice that backward (∂x and ∂W),
        // but the first layer's ∂x: x is data, and the tape does not compute it.
        let flops = Double(6 * layers - 2) * Double(batch * width * width)

        var ours = 0.0
        for _ in 0..<2 {
            ours = max(ours, flops / medianSeconds(repeats: repeats) {
                _ = valueWithGradients(wrt: mlp.parameters) { (mlp(x) - target).squared().mean() }
            } / 1e9)
        }
        let n = width, sgemmRate = sgemmRate(m: batch, n: n, k: n, repeats: repeats)
        let table = """
            MLP \(layers)×\(width), batch \(batch), forward+backward: \(rounded(ours, digits: 10)) GFLOP/s
            cblas_sgemm \(batch)×\(n)×\(n): \(rounded(sgemmRate, digits: 10)) GFLOP/s
            utilisation: \(rounded(ours / sgemmRate))
            """
        return BenchResult(
            workload: "mlp", ours: ours, peer: sgemmRate, unit: "GFLOP/s",
            details: ["batch": batch, "width": width, "layers": layers, "activation": "tanh",
                      "peer_name": "cblas_sgemm \(batch)x\(n)x\(n) (OpenBLAS, direct)",
                      "ratio_meaning": "model FLOP utilisation: useful FLOP/s over measured sgemm FLOP/s"],
            table: table)
    }
}
