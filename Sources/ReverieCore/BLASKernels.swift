import CBLAS
import Foundation

/// Which OpenBLAS kernels do Reverie's products, and whether faster ones fit
/// this CPU.
///
/// OpenBLAS picks its kernel set when it loads, from the CPU's model. On a
/// virtual machine that reports a generic model, OpenBLAS 0.3.21 can fall
/// back to its Prescott (SSE3) kernels on a CPU with AVX2 or AVX-512, and
/// every product runs 2–6× slower than the hardware allows. The set can only
/// be changed before the library loads (`OPENBLAS_CORETYPE`), so the command
/// line re-executes itself with a better set (`KernelSelection`) after that
/// set passes `selfTest()`. A user's own `OPENBLAS_CORETYPE` always wins.
public enum BLASKernels {
    /// The kernel set OpenBLAS uses in this process ("Prescott", "Haswell", "SkylakeX", "Zen", …).
    /// `REVERIE_BLAS_TEST_CORE` makes a process that OpenBLAS left to its own
    /// choice believe it chose that set instead (for the selection's tests).
    public static let coreName: String = {
        let environment = ProcessInfo.processInfo.environment
        if let pretended = environment["REVERIE_BLAS_TEST_CORE"], environment["OPENBLAS_CORETYPE"] == nil { return pretended }
        return String(cString: openblas_get_corename())
    }()

    /// Why this process runs `coreName`, for `reverie --version` and bench JSON
    /// (set by the command line's selection; OpenBLAS's own choice otherwise).
    nonisolated(unsafe) public static var reason = "OpenBLAS's own choice for this CPU"

    // MARK: - The choice

    /// OpenBLAS kernel sets by the widest vector instructions they use:
    /// 0 SSE, 1 AVX, 2 AVX2 + FMA, 3 AVX-512. Names OpenBLAS 0.3.21 knows on x86-64.
    static func tier(ofCore name: String) -> Int? {
        switch name.lowercased() {
        case "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington", "nehalem",
             "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat": 0
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": 1
        case "haswell", "zen": 2
        case "skylakex", "cooperlake", "sapphirerapids": 3
        default: nil
        }
    }

    /// The tier the CPU's own feature flags (`/proc/cpuinfo`) support.
    static func tier(ofFlags flags: Set<String>) -> Int {
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "fma"].allSatisfy(flags.contains) { return 3 }
        if flags.contains("avx2") && flags.contains("fma") { return 2 }
        return flags.contains("avx") ? 1 : 0
    }

    /// The kernel set to try in place of OpenBLAS's choice, best first, or nil to keep it, and why.
    /// - Parameters:
    ///   - coreName: what OpenBLAS chose.
    ///   - flags: the CPU's feature flags.
    ///   - environment: `OPENBLAS_CORETYPE` (the user's choice wins), `REVERIE_BLAS_AUTO=0`
    ///     (no automatic choice) and `REVERIE_BLAS_REJECTED` (sets that failed the self-test).
    public static func upgrade(from coreName: String, flags: Set<String>, environment: [String: String])
        -> (candidate: String?, reason: String)
    {
        if let chosen = environment["OPENBLAS_CORETYPE"], !chosen.isEmpty {
            return (nil, "OPENBLAS_CORETYPE=\(chosen), set by the user")
        }
        if environment["REVERIE_BLAS_AUTO"] == "0" { return (nil, "OpenBLAS's own choice (REVERIE_BLAS_AUTO=0)") }
        let rejected = Set((environment["REVERIE_BLAS_REJECTED"] ?? "").split(separator: ",").map(String.init))
        guard let current = tier(ofCore: coreName) else { return (nil, "OpenBLAS's own choice for this CPU") }
        let supported = tier(ofFlags: flags)
        guard current < supported else { return (nil, "OpenBLAS's own choice for this CPU") }
        let candidates = [(3, "SkylakeX"), (2, "Haswell"), (1, "Sandybridge")].filter { $0.0 <= supported && $0.0 > current }.map(\.1)
        guard let candidate = candidates.first(where: { !rejected.contains($0) }) else {
            return (nil, "OpenBLAS's own choice: \(rejected.sorted().joined(separator: ", ")) failed Reverie's self-test here")
        }
        return (candidate, "OpenBLAS picked \(coreName) on a CPU with \(["SSE", "AVX", "AVX2", "AVX-512"][supported])")
    }

    /// This CPU's feature flags, from `/proc/cpuinfo` (empty elsewhere).
    public static var cpuFlags: Set<String> {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
        return Set(line.split(separator: " ").map(String.init))
    }

    // MARK: - Self-test

    /// Checks every BLAS routine Reverie calls — `sgemm` with each pair of
    /// transposes, `sgemv` both ways — against plain loops in Double, on odd
    /// sizes, strides wider than the rows, and β 0 and 1.
    /// - Returns: nil if every product agrees, else which one did not.
    public static func selfTest() -> String? {
        // The sets named in REVERIE_BLAS_TEST_FAIL fail (for the selection's tests).
        if let failing = ProcessInfo.processInfo.environment["REVERIE_BLAS_TEST_FAIL"], failing.split(separator: ",").contains(Substring(coreName)) {
            return "REVERIE_BLAS_TEST_FAIL=\(failing)"
        }
        var rng = SystemRandomNumberGenerator()
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -1...1, using: &rng) } }
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 33, 65), (64, 64, 64), (129, 67, 255), (8, 300, 2), (2, 3, 513)] {
            for (transposeA, transposeB) in [(false, false), (false, true), (true, false), (true, true)] {
                for beta: Float in [0, 1] {
                    // Row-major with a row stride one wider than needed.
                    let (rowsA, colsA) = transposeA ? (k, m) : (m, k), (rowsB, colsB) = transposeB ? (n, k) : (k, n)
                    let (lda, ldb, ldc) = (colsA + 1, colsB + 1, n + 1)
                    let a = values(rowsA * lda), b = values(rowsB * ldb)
                    var c = values(m * ldc)
                    let start = c
                    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                                blasint(m), blasint(n), blasint(k), 0.75, a, blasint(lda), b, blasint(ldb), beta, &c, blasint(ldc))
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum = 0.0
                            for p in 0..<k {
                                sum += Double(transposeA ? a[p * lda + i] : a[i * lda + p]) * Double(transposeB ? b[j * ldb + p] : b[p * ldb + j])
                            }
                            let expected = 0.75 * sum + Double(beta) * Double(start[i * ldc + j])
                            if abs(Double(c[i * ldc + j]) - expected) > 1e-4 * (1 + Double(k)) {
                                return "sgemm \(transposeA ? "T" : "N")\(transposeB ? "T" : "N") m=\(m) n=\(n) k=\(k) β=\(beta): "
                                    + "C[\(i),\(j)] = \(c[i * ldc + j]), expected \(expected)"
                            }
                        }
                    }
                }
            }
            for transpose in [false, true] {
                // y = A·x or Aᵀ·x with A (m, k), x strided by 2.
                let lda = k + 1, a = values(m * lda), x = values(2 * (transpose ? m : k))
                var y = [Float](repeating: 0, count: transpose ? k : m)
                cblas_sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, blasint(m), blasint(k), 1, a, blasint(lda), x, 2, 0, &y, 1)
                for r in y.indices {
                    let expected = (0..<(transpose ? m : k)).reduce(0.0) { sum, p in
                        sum + Double(transpose ? a[p * lda + r] : a[r * lda + p]) * Double(x[2 * p])
                    }
                    if abs(Double(y[r]) - expected) > 1e-4 * (1 + Double(k + m)) {
                        return "sgemv \(transpose ? "T" : "N") m=\(m) k=\(k): y[\(r)] = \(y[r]), expected \(expected)"
                    }
                }
            }
        }
        return nil
    }
}
