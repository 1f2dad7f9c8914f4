import CBLAS
import ReverieCore
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
        object["blas_core_reason"] = BLASKernels.reason
        object["product_kernel"] = ProductKernel.current.rawValue
        object["one_row_products"] = ProductKernel.oneRowThroughGemv ? "sgemv" : ProductKernel.current.rawValue
        let data = try! JSONSerialization.data(withJSONObject: Self.finite(object), options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// `value` with every NaN or infinity (a side not measured, a ratio to it) as null, which JSON can hold.
    static func finite(_ value: Any) -> Any {
        switch value {
        case let x as Double: x.isFinite ? x : NSNull()
        case let x as Float: x.isFinite ? x : NSNull()
        case let object as [String: Any]: object.mapValues(finite)
        case let array as [Any]: array.map(finite)
        default: value
        }
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

/// `medianSeconds`, and the product FLOPs of one run of `body`, counted on
/// the warm-up (`ProductCounter`), so a bench need not build its model twice.
func countedMedianSeconds(repeats: Int, _ body: () -> Void) -> (seconds: Double, flops: Double) {
    let flops = ProductCounter.counting(body).flops
    return (median((0..<repeats).map { _ in seconds(body) }), Double(flops))
}
