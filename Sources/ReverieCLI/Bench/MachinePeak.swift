import CFMAProbe
import ReverieCore

/// The machine's single-precision ceiling as the speed benches quote it:
/// one thread's FMA throughput (`reverie_fma_peak_gflops`, half a second
/// with the widest vectors the CPU has), read before a bench's work and
/// again after it (`remeasure`), the higher kept, times the threads products use.
struct MachinePeak {
    /// GFLOP/s of one thread.
    private(set) var perThread: Double
    /// Floats per vector the probe used (16 AVX-512, 8 AVX2, 4 SSE).
    let vectorFloats: Int32

    init() {
        var width: Int32 = 0
        perThread = reverie_fma_peak_gflops(0.5, &width)
        vectorFloats = width
    }

    /// Probes again and keeps the higher reading.
    mutating func remeasure() {
        var width: Int32 = 0
        perThread = max(perThread, reverie_fma_peak_gflops(0.5, &width))
    }

    /// FLOP/s of all the threads products run on: a step of f FLOPs takes at least f / this seconds.
    var flopsPerSecond: Double { perThread * 1e9 * Double(Parallel.workers) }

    /// "peak: 46.5 GFLOP/s per thread (FMA probe, 8-float vectors) × 1 thread(s)".
    var description: String {
        "peak: \(rounded(perThread, digits: 10)) GFLOP/s per thread (FMA probe, \(vectorFloats)-float vectors) × \(Parallel.workers) thread(s)"
    }
}
