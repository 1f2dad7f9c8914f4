import CGemm
import Foundation

/// Which code computes Reverie's matrix products (`sgemm` and every layer,
/// convolution and backward rule built on it).
///
/// - `reverie`: our own kernel (`Sources/CGemm`): packed panels and a 6×16
///   AVX2/FMA micro-kernel, as Goto & van de Geijn (2008) lay a GEMM out. It
///   matches OpenBLAS 0.3.21's Zen kernels at n ≥ 512 and runs about 3.5×
///   faster than them at n = 192–320, where OpenBLAS's kernel slows down
///   (docs/performance.md, "The machine's ceiling for products").
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

    /// Whether a product with one row of C (single-env acting, evaluation,
    /// one sequence learning online, bias gradients) goes through
    /// `cblas_sgemv` (the default: a general kernel would repack the whole
    /// weight for one row) or through the kernel in use like products of
    /// more rows (an inner dimension of 1 is an outer product either way).
    /// `REVERIE_ONE_ROW=gemm` picks the latter for a whole process, to
    /// measure how much a result depends on this rounding.
    public static let oneRowThroughGemv: Bool =
        ProcessInfo.processInfo.environment["REVERIE_ONE_ROW"]?.lowercased() != "gemm"

    /// One line for `--version` and bench reports.
    public var description: String {
        let oneRow = Self.oneRowThroughGemv ? "one-row products through sgemv" : "one-row products through it too"
        return switch self {
        case .reverie: "reverie (own AVX2/FMA kernel, 6×16 micro-tile; \(oneRow))"
        case .openblas: "OpenBLAS cblas_sgemm (\(oneRow))"
        }
    }
}
