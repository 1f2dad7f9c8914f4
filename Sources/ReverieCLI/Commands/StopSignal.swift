import Foundation

/// SIGINT/SIGTERM set a flag that `serve` checks at its next poll and `train`
/// between iterations, so both end cleanly (`train` saves a checkpoint). The
/// first signal says so on stderr; a second one ends the process at once
/// (checkpoints are written atomically, so the last one stays whole). The
/// signals are unblocked once the handlers are in place: a parent may have
/// spawned us with them blocked.
enum StopSignal {
    nonisolated(unsafe) static var flag: sig_atomic_t = 0
    static var received: Bool { flag != 0 }

    /// - Parameter message: written by the handler on the first signal
    ///   (static text: only async-signal-safe calls happen in a handler).
    static func install(message: StaticString) {
        precondition(message.hasPointerRepresentation, "a stop message must be text, not one scalar")
        // Both statics are set here, so the handler never initialises one.
        StopSignal.flag = 0
        StopSignal.message = (message.utf8Start, message.utf8CodeUnitCount)
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { number in
                if StopSignal.flag != 0 {
                    // Second signal: the default action, which ends the process.
                    signal(number, SIG_DFL)
                    raise(number)
                    return
                }
                StopSignal.flag = 1
                if let (start, count) = StopSignal.message { _ = write(STDERR_FILENO, start, count) }
            }
        }
        // Unblocked after the handlers are in place: a signal that arrived while
        // blocked (it waits, pending) reaches the handler, not the default action.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    nonisolated(unsafe) private static var message: (UnsafePointer<UInt8>, Int)?
}
