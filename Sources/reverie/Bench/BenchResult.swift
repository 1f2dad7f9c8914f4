import CBLAS
import Foundation

/// One benchmark outcome: our figure beside the peer's, measured in one run.
struct BenchResult {
    var workload: String
    var ours: Double
    /// Nil while a workload's peer is not measured yet (the JSON says null).
    var peer: Double?
    var unit: String
    /// Extra fields for the JSON object (per-size figures, shapes, …).
    var details: [String: Any]
    /// Human-readable lines.
    var table: String
    /// True for times (ms per step): the ratio is then peer / ours.
    var lowerIsBetter = false

    /// ours relative to peer; above 1 is better for Reverie.
    var ratio: Double? { peer.map { lowerIsBetter ? $0 / ours : ours / $0 } }

    var json: String {
        var object = details
        object["workload"] = workload
        object["ours"] = rounded(ours)
        object["peer"] = peer.map { rounded($0) } ?? NSNull()
        object["unit"] = unit
        object["ratio"] = ratio.map { rounded($0) } ?? NSNull()
        object["blas_core"] = BLASKernels.coreName
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}

func rounded(_ x: Double, digits: Double = 1000) -> Double { (x * digits).rounded() / digits }

/// The middle value (the upper one of the two middle values for an even count).
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// Wall time in seconds of one run of `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
}

/// Median wall time in seconds of `body` over `repeats` runs, after one warm-up.
func medianSeconds(repeats: Int, _ body: () -> Void) -> Double {
    body()
    return median((0..<repeats).map { _ in seconds(body) })
}

/// Which kernels OpenBLAS chose for this CPU: figures measured with different
/// kernels are not comparable. On VMs that report a generic CPU model,
/// OpenBLAS 0.3.21 falls back to its Prescott (SSE3) kernels even where the
/// CPU has AVX2 and FMA, and its products run 3–5× slower.
enum BLASKernels {
    static let coreName = String(cString: openblas_get_corename())

    /// A line for the readable table: the kernels, and a hint where OpenBLAS
    /// fell back to old ones on a CPU that has AVX2 (`OPENBLAS_CORETYPE`
    /// overrides the choice; it changes the arithmetic too, by rounding).
    static var summary: String {
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let hasAVX2 = flags.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").contains("avx2") ?? false
        guard ["Prescott", "Core2", "Nehalem"].contains(coreName), hasAVX2 else { return "OpenBLAS kernels: \(coreName)" }
        return "OpenBLAS kernels: \(coreName), although this CPU has AVX2 (OpenBLAS did not recognise its model); "
            + "OPENBLAS_CORETYPE=Haswell selects faster ones"
    }
}
