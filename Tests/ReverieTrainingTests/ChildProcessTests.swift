import Foundation
import ReverieTestSupport
import Testing

/// The tests' own process runner: a child never stalls on a full pipe, and
/// none is waited on past its deadline.
struct ChildProcessTests {
    /// A megabyte on each pipe, stdout first: a runner that read stdout to
    /// its end before stderr would wait forever on a child blocked writing stderr.
    @Test func aChildThatFillsBothPipesRunsToItsEnd() throws {
        let result = try ChildProcess.run(URL(fileURLWithPath: "/bin/sh"),
                                          ["-c", "yes e | head -c 1000000 >&2; yes o | head -c 1000000"],
                                          timeout: 60)
        #expect(result.status == 0 && !result.timedOut, "\(result.how)")
        #expect(result.out.utf8.count == 1_000_000 && result.out.allSatisfy { $0 == "o" || $0 == "\n" })
        #expect(result.err.utf8.count == 1_000_000 && result.err.allSatisfy { $0 == "e" || $0 == "\n" })
    }

    @Test func aChildPastItsDeadlineIsKilledAndSaysSo() throws {
        let start = Date()
        let result = try ChildProcess.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "echo started; exec sleep 60"], timeout: 0.5)
        #expect(result.timedOut && result.how == "killed at its deadline")
        #expect(result.out == "started\n")
        #expect(Date().timeIntervalSince(start) < 15)
    }

    @Test func inputReachesTheChildAndItsStatusAndSignalAreReported() throws {
        let echoed = try ChildProcess.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "cat; exit 3"], input: Data("hello".utf8))
        #expect(echoed.out == "hello" && echoed.status == 3 && !echoed.signaled && echoed.how == "exit 3")
        // SIGKILL: a test's threads block the other signals, and a child inherits that mask.
        let child = try ChildProcess(URL(fileURLWithPath: "/bin/sleep"), ["60"])
        child.signal(SIGKILL)
        let ended = child.finish(upTo: 30)
        #expect(ended.signaled && ended.status == SIGKILL && !ended.timedOut, "\(ended.how)")
    }
}
