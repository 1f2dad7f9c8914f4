import CGemm
import Foundation

/// Which code computes Reverie's matrix products (`sgemm` and every layer,
/// convolution and backward rule built on it).
///
/// - `reverie`: our own kernel (`Sources/CGemm`): packed panels and a 6×16
///   AVX2/FMA micro-kernel, as Goto & van de Geijn (2008) lay a GEMM out. It
///   matches OpenBLAS 0.3.21's Zen kernels at n ≥ 512 and runs about 3.5×
///   faster than them at n = 192–320, where OpenBLAS's kernel slows down
///   (docs/results.md, "The machine's ceiling for products").
/// - `openblas`: `cblas_sgemm`, for CPUs without AVX2 and FMA and for
///   comparison.
///
/// The default is `reverie` where the CPU runs it; `REVERIE_GEMM=openblas` in
/// the environment picks OpenBLAS for a whole process.
public enum ProductKernel: String, Sendable, CaseIterable {
    case reverie, openblas

    /// The kernel products use now. Set it before work starts, not while
    /// products run on other threads.
    nonisolated(unsafe) public static var current: ProductKernel = defaultChoice(
        environment: ProcessInfo.processInfo.environment, supported: reverie_sgemm_supported() != 0)

    /// `REVERIE_GEMM` when it names a kernel this CPU runs, else ours where
    /// supported, else OpenBLAS.
    static func defaultChoice(environment: [String: String], supported: Bool) -> ProductKernel {
        if let asked = environment["REVERIE_GEMM"].flatMap(ProductKernel.init(rawValue:)), asked == .openblas || supported {
            return asked
        }
        return supported ? .reverie : .openblas
    }

    /// One line for `--version` and bench reports, e.g. "reverie (AVX2/FMA 6×16)".
    public var description: String {
        switch self {
        case .reverie: "reverie (own AVX2/FMA kernel, 6×16 micro-tile)"
        case .openblas: "OpenBLAS cblas_sgemm"
        }
    }
}

/// Counts the FLOPs of every matrix product (2·m·n·k each, convolutions and
/// backward rules included) while `isCounting`, for benches that report
/// model FLOP utilisation: FLOPs per step × steps/s ÷ the machine's peak.
/// Products are nearly all of a network's FLOPs; element-wise work is not
/// counted, so the figure is a floor.
public enum ProductCounter {
    /// Off by default: counting costs one atomic add per product.
    nonisolated(unsafe) public static var isCounting = false

    /// FLOPs counted since the process started.
    public static var flops: Int64 { Int64(reverie_product_flops()) }

    @inline(__always)
    static func add(m: Int, n: Int, k: Int) {
        if isCounting { reverie_product_flops_add(Int64(2 &* m &* n &* k)) }
    }

    /// FLOPs of the products `body` runs (with counting on while it runs).
    public static func counting<T>(_ body: () throws -> T) rethrows -> (result: T, flops: Int64) {
        let was = isCounting, start = flops
        isCounting = true
        defer { isCounting = was }
        let result = try body()
        return (result, flops - start)
    }
}
