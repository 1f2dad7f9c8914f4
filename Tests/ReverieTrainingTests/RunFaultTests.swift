import Foundation
import Testing
import ReverieAgents
import ReverieNN
@testable import ReverieTraining

/// A run folder under faults: a crash after its last checkpoint, interrupted
/// checkpoint writes, a full disk, damaged checkpoints, and learning that
/// goes wrong.
@Suite struct RunFaultTests {
    /// Steps of every scalar `tag` in a run folder, as TensorBoard shows it.
    static func tensorBoardSteps(_ dir: URL, tag: String) throws -> [Int] {
        try PythonTool.run("read_tensorboard.py", ["--run", dir.path]).split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return object["tag"] as? String == tag ? object["step"] as? Int : nil
        }
    }

    /// A run killed after it logged past its newest checkpoint resumes from
    /// that checkpoint: metrics.csv loses the rows after it and TensorBoard
    /// the events (a SessionLog START at the checkpoint's step), so no step
    /// appears twice; the temporary file of an interrupted checkpoint write goes.
    @Test func aResumedRunsLogsContinueFromItsCheckpointWithoutRepeatingSteps() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var iterations = 0
        try Trainer(config: TrainerTests.config(), runDirectory: dir).run(shouldStop: { iterations += 1; return iterations > 6 })
        // As if killed before its last checkpoint was whole: rows up to 1536, checkpoint at 1024.
        let checkpoints = try Trainer.checkpoints(in: dir)
        #expect(checkpoints.map(\.step) == [1024, 1536])
        try FileManager.default.removeItem(at: checkpoints[1].url)
        let leftover = dir.appendingPathComponent("checkpoints/.step-000001536.safetensors.4242.tmp")
        try Data([1, 2, 3]).write(to: leftover)
        // TensorBoard keeps the newest file's events apart by name: the resumed run's is a second later.
        Thread.sleep(forTimeInterval: 1.1)

        let resumed = try Trainer(resuming: dir)
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
        try resumed.run()
        let steps = try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { Int($0.prefix { $0 != "," })! }
        #expect(steps == Array(stride(from: 256, through: 2048, by: 256)), "\(steps)")
        let shown = try Self.tensorBoardSteps(dir, tag: "losses/value_loss")
        #expect(shown == Array(stride(from: 256, through: 2048, by: 256)), "\(shown)")
    }

    @Test func keepCheckpointsKeepsTheNewestN() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = TrainerTests.config(totalSteps: 2048, checkpointEvery: 256)
        config.keepCheckpoints = 2
        try Trainer(config: config, runDirectory: dir).run()
        #expect(try Trainer.checkpoints(in: dir).map(\.step) == [1792, 2048])
    }

    /// A disk that fills while metrics are written (metrics.csv on /dev/full,
    /// which fails every write with ENOSPC) stops the run with a message naming
    /// the file and the free space, after writing a checkpoint.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func aFullDiskStopsTheRunNamingTheFileAfterACheckpoint() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try Trainer(config: TrainerTests.config(), runDirectory: dir)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("metrics.csv").path, withDestinationPath: "/dev/full")
        let error = #expect(throws: RunStopped.self) { try trainer.run() }
        let message = "\(try #require(error))"
        #expect(message.contains("metrics.csv") && message.contains("No space left on device") && message.contains("free on its disk"), "\(message)")
        #expect(try Trainer.checkpoints(in: dir).map(\.step) == [256], "\(message)")
    }

    /// A checkpoint cut short or holding NaN is named with the file (and the
    /// tensor); a resume offers the newest good one, and takes it when asked,
    /// setting the damaged file aside.
    @Test func aDamagedCheckpointIsNamedAndTheNewestGoodOneCanBeTaken() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Trainer(config: TrainerTests.config(), runDirectory: dir).run()
        let checkpoints = try Trainer.checkpoints(in: dir)
        let newest = checkpoints.last!.url
        var checkpoint = try Checkpoint(contentsOf: newest)
        let name = try #require(checkpoint.tensors.keys.sorted().first { $0.hasPrefix("model.") })
        checkpoint.tensors[name] = checkpoint.tensors[name]!.scalars.enumerated().map { $0.offset == 1 ? Float.infinity : $0.element }
            .withUnsafeBufferPointer { values in Tensor(Array(values), shape: checkpoint.tensors[name]!.shape) }
        try checkpoint.write(to: newest)
        #expect {
            _ = try SavedPolicy(contentsOf: newest)
        } throws: { error in
            "\(error)".contains(newest.path) && "\(error)".contains("tensor '\(name)'") && "\(error)".contains("non-finite")
        }

        let bytes = try Data(contentsOf: checkpoints[0].url)
        try bytes.prefix(bytes.count / 2).write(to: checkpoints[0].url)
        // Both damaged now: nothing to resume from, and both are named.
        #expect { _ = try Trainer(resuming: dir) } throws: { error in
            "\(error)".contains("step-000001024") && "\(error)".contains("step-000002048")
        }
        try bytes.write(to: checkpoints[0].url)
        #expect { _ = try Trainer(resuming: dir) } throws: { error in
            "\(error)".contains("\(newest.lastPathComponent) is damaged") && "\(error)".contains("--resume-latest-good")
                && "\(error)".contains("step-000001024.safetensors (step 1,024)")
        }
        var messages: [String] = []
        let trainer = try Trainer(resuming: dir, latestGood: true, log: { messages.append($0) })
        #expect(trainer.agent.environmentSteps == 1024)
        #expect(FileManager.default.fileExists(atPath: newest.path + ".damaged"))
        #expect(messages.contains { $0.contains("set aside") })
        #expect(try trainer.run().envSteps == 2048)
    }

    /// At an extreme but allowed learning rate the policy collapses onto one
    /// action; the run says so (once), while the default one stays quiet.
    @Test func entropyCollapseAndAnExplodingKLAreWarnedAbout() throws {
        var config = TrainerTests.config(totalSteps: 4096, checkpointEvery: 0)
        (config.ppo.learningRate, config.ppo.epochs) = (0.5, 10)
        let dir = try PythonTool.temporaryDirectory(), quiet = try PythonTool.temporaryDirectory()
        defer { for d in [dir, quiet] { try? FileManager.default.removeItem(at: d) } }
        let summary = try Trainer(config: config, runDirectory: dir).run()
        #expect(summary.warnings.contains { $0.contains("entropy collapsed") } || summary.warnings.contains { $0.contains("approximate KL") },
                "\(summary.warnings)")
        #expect(Set(summary.warnings.map { $0.prefix(30) }).count == summary.warnings.count, "each warned once: \(summary.warnings)")
        #expect(try Trainer(config: TrainerTests.config(totalSteps: 4096, checkpointEvery: 0), runDirectory: quiet).run().warnings.isEmpty)
    }
}
