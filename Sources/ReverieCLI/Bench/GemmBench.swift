import Foundation
import CBLAS
import ReverieCore

/// `Tensor.matmul` against `cblas_sgemm` called directly on preallocated
/// buffers, n×n×n for n = 64…1024 (192 and 320 too: OpenBLAS 0.3.21's Zen
/// kernel slows down between 192 and 320). Ours includes allocating the result, as
/// every real use does. Headline figures are geometric means over n ≥ 256.
/// Beside them, the machine's own ceiling: the FMA throughput of one thread
/// (`reverie_fma_peak_gflops`, measured before and after, best kept) times the
/// threads the products use, and each product as a fraction of it.
/// `OPENBLAS_NUM_THREADS=1` measures one thread.
struct GemmBench {
    var repeats: Int
    var sizes = [64, 128, 192, 256, 320, 512, 1024]

    func run() -> BenchResult {
        var rng = RandomGenerator(seed: 0)
        var rows: [[String: Any]] = []
        var lines = ["n       ours GFLOP/s   cblas_sgemm GFLOP/s   ratio"]
        var logOurs = 0.0, logPeer = 0.0, counted = 0.0
        var peak = MachinePeak()
        let threads = Parallel.workers
        for n in sizes {
            let a = Tensor.uniform([n, n], low: -1, high: 1, using: &rng)
            let b = Tensor.uniform([n, n], low: -1, high: 1, using: &rng)
            var c = [Float](repeating: 0, count: n * n)
            // Enough calls per timing that small sizes are not timer noise.
            let calls = max(1, (1 << 27) / (n * n * n))
            let flops = 2 * Double(n * n * n) * Double(calls)
            var ours = 0.0, peer = 0.0
            // Interleaved so both see the same machine state.
            for _ in 0..<2 {
                peer = max(peer, flops / directSgemmSeconds(a, b, into: &c, m: n, n: n, k: n, calls: calls, repeats: repeats) / 1e9)
                ours = max(ours, flops / medianSeconds(repeats: repeats) {
                    for _ in 0..<calls { _ = a.matmul(b) }
                } / 1e9)
            }
            rows.append(["n": n, "ours": rounded(ours), "peer": rounded(peer), "ratio": rounded(ours / peer)])
            lines.append("\(n)".padding(8) + "\(rounded(ours, digits: 10))".padding(15)
                         + "\(rounded(peer, digits: 10))".padding(22) + "\(rounded(ours / peer))")
            if n >= 256 { logOurs += log(ours); logPeer += log(peer); counted += 1 }
        }
        peak.remeasure()
        let ceiling = peak.flopsPerSecond / 1e9
        for i in rows.indices { rows[i]["fraction_of_peak"] = rounded((rows[i]["ours"] as! Double) / ceiling) }
        let headline = exp(logOurs / counted)
        lines.append("\(peak.description); ours at n ≥ 256 is \(rounded(headline / ceiling, digits: 100)) of it")
        return BenchResult(
            workload: "gemm", ours: headline, peer: exp(logPeer / counted), unit: "GFLOP/s",
            details: ["sizes": rows, "peer_name": "cblas_sgemm (OpenBLAS, direct)", "headline": "geometric mean over n >= 256",
                      "peak_gflops_per_thread": rounded(peak.perThread), "peak_vector_floats": Int(peak.vectorFloats), "threads": threads,
                      "fraction_of_peak": rounded(headline / ceiling)],
            table: lines.joined(separator: "\n"))
    }
}

/// The machine's rate in GFLOP/s for one m×k by k×n `cblas_sgemm` on
/// preallocated buffers (best of two medians): the ceiling model FLOP
/// utilisation is measured against, in the same run as the workload.
func sgemmRate(m: Int, n: Int, k: Int, repeats: Int) -> Double {
    var rng = RandomGenerator(seed: 0)
    let a = Tensor.uniform([m, k], low: -1, high: 1, using: &rng)
    let b = Tensor.uniform([k, n], low: -1, high: 1, using: &rng)
    var c = [Float](repeating: 0, count: m * n)
    let calls = max(1, (1 << 28) / (m * n * k))
    let flops = 2 * Double(m * n * k) * Double(calls)
    var rate = 0.0
    for _ in 0..<2 {
        rate = max(rate, flops / directSgemmSeconds(a, b, into: &c, m: m, n: n, k: k, calls: calls, repeats: repeats) / 1e9)
    }
    return rate
}

/// Median seconds of `calls` direct `cblas_sgemm` products c = a·b (m×k by
/// k×n, row-major, preallocated) with OpenBLAS on all its threads: the peer.
func directSgemmSeconds(_ a: Tensor, _ b: Tensor, into c: inout [Float], m: Int, n: Int, k: Int,
                        calls: Int, repeats: Int) -> Double {
    withOpenBLASThreads { medianSeconds(repeats: repeats) {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            for _ in 0..<calls {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k),
                            1, pa.baseAddress, blasint(k), pb.baseAddress, blasint(n), 0, pc.baseAddress, blasint(n))
            }
        } } }
    } }
}

/// Runs `body` with OpenBLAS on all its threads, as a C program calling
/// `cblas_sgemm` would have it; Reverie keeps OpenBLAS on one thread and splits
/// products over its own workers (`Parallel`). OpenBLAS's workers spin
/// between products, so they are stopped again before whatever is measured
/// next runs.
func withOpenBLASThreads<T>(_ body: () -> T) -> T {
    openblas_set_num_threads(Int32(Parallel.workers))
    defer { Parallel.stopOpenBLASThreads() }
    return body()
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
}
