import Foundation

/// SIGINT/SIGTERM set a flag that `serve` checks at its next poll and `train`
/// between iterations, so both end cleanly. The signals are
/// unblocked first: a parent may have spawned us with them blocked.
enum StopSignal {
    nonisolated(unsafe) static var flag: sig_atomic_t = 0
    static var received: Bool { flag != 0 }

    static func install() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in StopSignal.flag = 1 }
        signal(SIGTERM) { _ in StopSignal.flag = 1 }
    }
}
