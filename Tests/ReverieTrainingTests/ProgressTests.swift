import Foundation
import Testing
@testable import ReverieTraining

/// `Progress` with its clock and output in the test's hands.
@Suite struct ProgressTests {
    final class Capture: @unchecked Sendable {
        var now = 0.0
        var written: [String] = []
    }

    static func make(terminal: Bool, _ capture: Capture) -> ReverieTraining.Progress {
        ReverieTraining.Progress(interval: 10, isTerminal: terminal, write: { capture.written.append($0) }, clock: { capture.now })
    }

    @Test func aLogGetsAPlainLineEveryIntervalAndOneAtTheEnd() {
        let capture = Capture()
        let progress = Self.make(terminal: false, capture)
        for (time, steps) in [(0.5, 1_000), (5.0, 2_000), (10.6, 3_000), (12.0, 4_000)] {
            capture.now = time
            progress.update(steps: steps, total: 50_000, sps: 500, recentReturn: steps > 2_000 ? 21.46 : nil)
        }
        capture.now = 13
        progress.update(steps: 50_000, total: 50_000, sps: 4_000, recentReturn: 480, force: true)
        progress.update(steps: 50_000, total: 50_000, sps: 4_000, recentReturn: 480, force: true)  // already shown
        progress.finish()
        #expect(capture.written == [
            "steps 1,000/50,000 (2%) · 500 SPS · ETA 1m38s\n",
            "steps 3,000/50,000 (6%) · 500 SPS · return 21.5 · ETA 1m34s\n",
            "steps 50,000/50,000 (100%) · 4,000 SPS · return 480.0 · ETA 0s\n",
        ])
    }

    @Test func aTerminalLineIsRewrittenAtMostTenTimesASecondAndEnded() {
        let capture = Capture()
        let progress = Self.make(terminal: true, capture)
        for (time, steps) in [(0.0, 256), (0.05, 512), (0.2, 768)] {
            capture.now = time
            progress.update(steps: steps, total: 2_000_000, sps: 0, recentReturn: nil)
        }
        progress.finish()
        #expect(capture.written == [
            "\r\u{1B}[2Ksteps 256/2,000,000 (0%) · 0 SPS · ETA ?",
            "\r\u{1B}[2Ksteps 768/2,000,000 (0%) · 0 SPS · ETA ?",
            "\n",
        ])
    }

    /// A message mid-run (a checkpoint saved) clears the in-place line rather
    /// than running on from it, and the line is drawn again at the next update.
    @Test func aMessageTakesTheLinesPlaceOnATerminal() {
        let capture = Capture()
        let progress = Self.make(terminal: true, capture)
        progress.message("run folder runs/x")
        progress.update(steps: 256, total: 1_000, sps: 0, recentReturn: nil)
        progress.message("checkpoint step-000000256.safetensors")
        progress.update(steps: 512, total: 1_000, sps: 0, recentReturn: nil)  // at the same instant: drawn anyway
        #expect(capture.written == [
            "run folder runs/x\n",
            "\r\u{1B}[2Ksteps 256/1,000 (25%) · 0 SPS · ETA ?",
            "\r\u{1B}[2Kcheckpoint step-000000256.safetensors\n",
            "\r\u{1B}[2Ksteps 512/1,000 (51%) · 0 SPS · ETA ?",
        ])
        let plain = Capture()
        Self.make(terminal: false, plain).message("checkpoint")
        #expect(plain.written == ["checkpoint\n"])
    }

    /// A phase with no ETA yet (a world model's random prefill) takes the
    /// ETA's place; after it, the ETA follows the rate the rest goes at.
    @Test func aPhaseTakesTheETAsPlaceAndTheETAFollowsItsOwnRate() {
        let capture = Capture()
        let progress = Self.make(terminal: false, capture)
        progress.update(steps: 512, total: 10_000, sps: 2_000, recentReturn: nil, force: true,
                        phase: "filling the replay with random play to 1,024 steps")
        progress.update(steps: 2_048, total: 10_000, sps: 1_000, recentReturn: nil, force: true, etaSPS: 8)
        #expect(capture.written == [
            "steps 512/10,000 (5%) · 2,000 SPS · filling the replay with random play to 1,024 steps\n",
            "steps 2,048/10,000 (20%) · 1,000 SPS · ETA 16m34s\n",
        ])
    }

    /// A world-model run's progress says when it is filling its replay.
    @Test func aWorldModelRunSaysItIsFillingItsReplay() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = TrainerTests.tinyDreamer
        (config.totalSteps, config.dreamer.prefill) = (1536, 1024)
        let capture = Capture()
        _ = try Trainer(config: config, runDirectory: dir).run(progress: Self.make(terminal: false, capture))
        #expect(capture.written.contains { $0.contains("filling the replay with random play to 1,024 steps") }, "\(capture.written)")
        #expect(capture.written.last?.contains("ETA") == true, "\(capture.written)")
    }

    @Test func aDisabledProgressWritesNothing() {
        let capture = Capture()
        let progress = Self.make(terminal: true, capture)
        progress.enabled = false
        progress.update(steps: 1, total: 2, sps: 1, recentReturn: nil, force: true)
        progress.finish()
        #expect(capture.written.isEmpty)
    }

    @Test func durationsAndGroupedNumbersReadAsWritten() {
        #expect(duration(42) == "42s" && duration(185) == "3m05s" && duration(7_800) == "2h10m" && duration(.infinity) == "?")
        #expect(grouped(0) == "0" && grouped(999) == "999" && grouped(1_000) == "1,000" && grouped(-1_234_567) == "-1,234,567")
    }
}
