import Foundation
import ReverieCore

/// Runs Reverie on the fastest OpenBLAS kernels that work on this CPU (see
/// `BLASKernels`): where OpenBLAS chose a set below what the CPU supports and
/// the user set no `OPENBLAS_CORETYPE`, the process executes itself again
/// with the better set, which must first pass `BLASKernels.selfTest()`;
/// a set that fails goes back to OpenBLAS's own choice and is not tried again.
///
/// The environment carries the choice to the new image and to child
/// processes (`reverie serve` started by a test, say):
/// `REVERIE_BLAS_TRYING` (a set on trial), `REVERIE_BLAS_CHOSEN` (why the
/// `OPENBLAS_CORETYPE` in force is Reverie's), `REVERIE_BLAS_REJECTED`.
enum KernelSelection {
    /// Call first thing in `main`, before any thread starts or anything is printed.
    static func apply() {
        let environment = ProcessInfo.processInfo.environment
        let rejected = environment["REVERIE_BLAS_REJECTED"].map { [$0] } ?? []
        if let trying = environment["REVERIE_BLAS_TRYING"] {
            unsetenv("REVERIE_BLAS_TRYING")
            if let failure = BLASKernels.selfTest() {
                unsetenv("OPENBLAS_CORETYPE")
                unsetenv("REVERIE_BLAS_CHOSEN")
                setenv("REVERIE_BLAS_REJECTED", (rejected + [trying]).joined(separator: ","), 1)
                FileHandle.standardError.write(Data("reverie: OpenBLAS's \(trying) kernels failed the self-test (\(failure)); not using them\n".utf8))
                executeAgain()
                return
            }
        }
        if let chosen = environment["REVERIE_BLAS_CHOSEN"], environment["OPENBLAS_CORETYPE"] == BLASKernels.coreName {
            BLASKernels.reason = chosen
            return
        }
        let (candidate, reason) = BLASKernels.upgrade(from: BLASKernels.coreName, flags: BLASKernels.cpuFlags, environment: environment)
        BLASKernels.reason = reason
        guard let candidate else { return }
        setenv("OPENBLAS_CORETYPE", candidate, 1)
        setenv("REVERIE_BLAS_TRYING", candidate, 1)
        setenv("REVERIE_BLAS_CHOSEN", "chosen by Reverie: \(reason); \(candidate) passed its self-test", 1)
        executeAgain()
        // Still here: the image could not be executed again. Go on as OpenBLAS chose.
        for name in ["OPENBLAS_CORETYPE", "REVERIE_BLAS_TRYING", "REVERIE_BLAS_CHOSEN"] { unsetenv(name) }
    }

    /// Replaces this process's image by itself, same arguments, the environment as it now is.
    private static func executeAgain() {
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
