import Foundation

extension Process {
    /// Ends a server process this client started: SIGTERM (it stops
    /// cleanly), then SIGKILL if it is still running after `grace` seconds,
    /// so that closing an environment never waits on a stuck child.
    package func end(grace: TimeInterval = 5) {
        guard isRunning else { return }
        terminate()
        let deadline = Date().addingTimeInterval(grace)
        while isRunning && Date() < deadline { usleep(10_000) }
        if isRunning { kill(processIdentifier, SIGKILL) }
        waitUntilExit()
    }
}
