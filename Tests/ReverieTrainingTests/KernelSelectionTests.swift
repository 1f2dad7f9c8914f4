import Foundation
import ReverieCore
import ReverieTestSupport
import Testing

/// `reverie` re-executes itself on faster OpenBLAS kernels where OpenBLAS
/// fell back to slow ones (here simulated: `REVERIE_BLAS_TEST_CORE` makes the
/// binary believe OpenBLAS chose Prescott on this CPU), and reports why.
@Suite(.enabled(if: BLASKernels.cpuFlags.isSuperset(of: ["avx2", "fma"]), "needs a CPU with AVX2 and FMA")) struct KernelSelectionTests {
    static func version(_ environment: [String: String]) throws -> String {
        var env = ProcessInfo.processInfo.environment
        for name in ["OPENBLAS_CORETYPE", "REVERIE_BLAS_CHOSEN", "REVERIE_BLAS_REJECTED", "REVERIE_BLAS_TRYING"] { env[name] = nil }
        let result = try ChildProcess.run(EvalCommandTests.builtExecutable, ["--version"], environment: env.merging(environment) { $1 },
                                          mergingErrors: true, timeout: 120)
        #expect(result.status == 0 && !result.signaled && !result.timedOut, "\(result.how): \(result.out)")
        return result.out
    }

    /// The sets this CPU's flags allow above Prescott, best first: SkylakeX
    /// only with AVX-512 (an AVX2 machine starts at Haswell).
    static var sets: [String] {
        let avx512 = BLASKernels.cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"])
        return (avx512 ? ["SkylakeX"] : []) + ["Haswell", "Sandybridge"]
    }

    @Test func aFallbackIsReplacedByKernelsThatPassTheSelfTest() throws {
        let text = try Self.version(["REVERIE_BLAS_TEST_CORE": "Prescott"])
        #expect(text.contains("OpenBLAS kernels: \(Self.sets[0]) (chosen by Reverie: OpenBLAS picked Prescott")
                && text.contains("passed its self-test"), "\(text)")
    }

    /// A set that fails gives way to the next one down, and when none passes, to OpenBLAS's own choice.
    @Test func kernelsThatFailTheSelfTestAreNotUsed() throws {
        let (best, second) = (Self.sets[0], Self.sets[1])
        let next = try Self.version(["REVERIE_BLAS_TEST_CORE": "Prescott", "REVERIE_BLAS_TEST_FAIL": best])
        #expect(next.contains("\(best) kernels failed the self-test"), "\(next)")
        #expect(next.contains("OpenBLAS kernels: \(second) (chosen by Reverie"), "\(next)")
        let none = try Self.version(["REVERIE_BLAS_TEST_CORE": "Prescott", "REVERIE_BLAS_TEST_FAIL": Self.sets.joined(separator: ",")])
        #expect(none.contains("OpenBLAS kernels: Prescott (OpenBLAS's own choice: \(Self.sets.sorted().joined(separator: ", ")) "
                              + "failed Reverie's self-test here)"), "\(none)")
    }

    @Test func theUsersCoretypeWins() throws {
        let text = try Self.version(["REVERIE_BLAS_TEST_CORE": "Prescott", "OPENBLAS_CORETYPE": "Prescott"])
        #expect(text.contains("OpenBLAS kernels: Prescott (OPENBLAS_CORETYPE=Prescott, set by the user)"), "\(text)")
    }
}
