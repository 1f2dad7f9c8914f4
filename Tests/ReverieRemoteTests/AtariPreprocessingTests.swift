import Foundation
import ReverieTestSupport
import Testing
@testable import ReverieRemote

/// `AtariPreprocessing` and `AreaResize` against what they port: OpenCV's
/// `INTER_AREA` and Gymnasium's `AtariPreprocessing` on the real ALE, the
/// game served by the Python bridge (ale-py, opencv-python: scripts/setup
/// --python installs both). The reference is
/// Tests/Python/atari_preprocessing_reference.py.
@Suite(.serialized, .timeLimit(.minutes(30)))
struct AtariPreprocessingTests {
    /// Breakout: random play loses lives and ends games within a few hundred steps.
    static let game = "ALE/Breakout-v5"
    static let kwargs = #"{"frameskip": 1, "repeat_action_probability": 0.0, "obs_type": "grayscale"}"#

    /// Runs the reference script in `mode` and returns the directory it wrote.
    static func reference(_ mode: String, _ arguments: [String]) throws -> URL {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("reverie-atari-\(UUID().uuidString)")
        let result = try ChildProcess.run(URL(fileURLWithPath: ServerProcess.python),
                                          [ServerProcess.repository.appendingPathComponent("Tests/Python/atari_preprocessing_reference.py").path,
                                           mode, out.path] + arguments,
                                          timeout: 600)
        guard result.status == 0 && !result.signaled && !result.timedOut else {
            throw ServerStartError(message: "atari_preprocessing_reference.py \(mode) failed (\(result.how)): \(result.err)")
        }
        return out
    }

    static func bytes(_ directory: URL, _ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func served(envs: Int) throws -> (ServerProcess, RemoteVectorEnvironment) {
        let server = try ServerProcess(.python, env: game, numEnvs: envs, extra: ["--kwargs", kwargs])
        return (server, try RemoteVectorEnvironment(endpoints: [server.endpoint], timeoutMilliseconds: 10_000))
    }

    @Test(arguments: [(210, 160, 1, 84), (210, 160, 1, 64), (210, 160, 3, 84), (97, 131, 1, 40)])
    func areaResizeIsOpenCVsInterAreaByteForByte(_ shape: (Int, Int, Int, Int)) throws {
        let (h, w, c, size) = shape
        let out = try Self.reference("resize", ["5", String(h), String(w), String(c), String(size)])
        defer { try? FileManager.default.removeItem(at: out) }
        let images = try Self.bytes(out, "images.u8"), expected = try Self.bytes(out, "resized.u8")
        let resize = AreaResize(source: (h, w), destination: (size, size), channels: c)
        let k = images.count / (h * w * c)
        var ours: [UInt8] = []
        for i in 0..<k { ours += resize(Array(images[(i * h * w * c)..<((i + 1) * h * w * c)])) }
        #expect(ours.count == expected.count)
        let wrong = zip(ours, expected).filter { $0 != $1 }.count
        #expect(wrong == 0, "\(wrong) of \(expected.count) bytes differ from cv2.resize(INTER_AREA) for \(shape)")
    }

    /// Plays the reference's actions through the bridge and our wrapper, and
    /// compares every observation, reward, ending and final observation.
    func playsAsTheReference(terminalOnLifeLoss: Bool) throws {
        let (n, steps, seed) = (3, 300, 7)
        let out = try Self.reference("play", [Self.game, String(seed), String(n), String(steps), terminalOnLifeLoss ? "1" : "0"])
        defer { try? FileManager.default.removeItem(at: out) }
        let (server, remote) = try Self.served(envs: n)
        defer { server.kill() }
        let env = try AtariPreprocessing(remote, settings: .init(noopMax: 0, terminalOnLifeLoss: terminalOnLifeLoss))
        #expect(env.singleObservationSpace == .box(low: 0, high: 255, shape: [84, 84], dtype: .uint8))
        let actions = try Data(contentsOf: out.appendingPathComponent("actions.i64")).withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }
        let observations = try Self.bytes(out, "observations.u8"), finals = try Self.bytes(out, "finals.u8")
        let rewards = try Data(contentsOf: out.appendingPathComponent("rewards.f32")).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let terminated = try Self.bytes(out, "terminated.u8"), truncated = try Self.bytes(out, "truncated.u8")
        let frame = 84 * 84
        func expected(_ t: Int) -> [Float] { observations[(t * n * frame)..<((t + 1) * n * frame)].map(Float.init) }

        #expect(try env.reset(seed: UInt64(seed)).scalars == expected(0), "first observations")
        var lifeLosses = 0, games = 0, mismatches: [String] = []
        for t in 0..<steps {
            let step = try env.step(Tensor((0..<n).map { Float(actions[t * n + $0]) }))
            if step.observations.scalars != expected(t + 1) { mismatches.append("observations after step \(t)") }
            for i in 0..<n {
                let k = t * n + i
                if step.rewards[i] != rewards[k] { mismatches.append("reward of env \(i) at step \(t)") }
                if step.terminated[i] != (terminated[k] != 0) || step.truncated[i] != (truncated[k] != 0) {
                    mismatches.append("ending of env \(i) at step \(t)")
                }
                if let final = step.finalObservations[i] {
                    if final != finals[(k * frame)..<((k + 1) * frame)].map(Float.init) { mismatches.append("final observation of env \(i) at step \(t)") }
                } else if terminated[k] != 0 || truncated[k] != 0 {
                    mismatches.append("no final observation of env \(i) at step \(t)")
                }
                if step.infos[i]["life_loss"] != nil { lifeLosses += 1 }
                if step.infos[i]["episode_return"] != nil { games += 1 }
            }
        }
        let differences = mismatches.count, first = Array(mismatches.prefix(5))
        #expect(differences == 0, "\(differences) differences, first: \(first)")
        // The run is long enough to test what it claims: games end, and lives are lost without ending one.
        #expect(games >= n)
        #expect(terminalOnLifeLoss ? lifeLosses >= 3 * n : lifeLosses == 0)
    }

    @Test func framesThroughTheBridgeAreGymnasiumsAtariPreprocessingStepForStep() throws {
        try playsAsTheReference(terminalOnLifeLoss: false)
    }

    @Test func aLostLifeEndsTheLearnersEpisodeNotTheGameAsCleanRLs() throws {
        try playsAsTheReference(terminalOnLifeLoss: true)
    }

    @Test func noopResetTakesOneToNoopMaxNoopsAndShowsTheFrameReached() throws {
        let n = 4
        let (server, remote) = try Self.served(envs: n)
        defer { server.kill() }
        let env = try AtariPreprocessing(remote, settings: .init(noopMax: 30))
        let first = try env.reset(seed: 11).scalars
        let counts = env.noopCounts
        #expect(counts.allSatisfy { (1...30).contains($0) } && Set(counts).count > 1, "no-op counts \(counts)")
        let out = try Self.reference("noops", [Self.game, "11"] + counts.map(String.init))
        defer { try? FileManager.default.removeItem(at: out) }
        #expect(first == (try Self.bytes(out, "frames.u8")).map(Float.init))
        // The same seed draws the same counts; the generator goes on otherwise.
        _ = try env.reset(seed: 11)
        #expect(env.noopCounts == counts)
    }

    @Test func framesStackAlongTheChannelAxisOldestFirstAndRefillAtAReset() throws {
        let (server, remote) = try Self.served(envs: 2)
        defer { server.kill() }
        let frames = try AtariPreprocessing(remote, settings: .init(noopMax: 0))
        let stacked = try VectorFrameStack(frames, frames: 4)
        #expect(stacked.singleObservationSpace.shape == [84, 84, 4])
        let first = try stacked.reset(seed: 3)
        let pixels = 84 * 84
        // At a reset every slot holds the first frame.
        for p in stride(from: 0, to: pixels, by: 97) { #expect(Set((0..<4).map { first.scalars[p * 4 + $0] }).count == 1) }
        var history: [[Float]] = [Array(first.scalars[0..<(pixels * 4)]).enumerated().filter { $0.offset % 4 == 3 }.map(\.element)]
        var sawEnd = false
        for t in 0..<400 {
            let step = try stacked.step(Tensor([Float(t % 4), Float((t + 1) % 4)]))
            let env0 = Array(step.observations.scalars[0..<(pixels * 4)])
            let channel = { (k: Int) in env0.enumerated().filter { $0.offset % 4 == k }.map(\.element) }
            if step.finalObservations[0] != nil {
                sawEnd = true
                // The new episode's stack is its first frame four times; the final one ends with the last frame.
                #expect(channel(0) == channel(3) && channel(1) == channel(3))
                let final = step.finalObservations[0]!
                #expect(final.enumerated().filter { $0.offset % 4 == 2 }.map(\.element) == history.last!)
                history = [channel(3)]
            } else {
                // Slot k holds the frame of k steps before the newest's... oldest first.
                #expect(channel(2) == history.last!)
                history.append(channel(3))
            }
            if sawEnd && t > 50 { break }
        }
        #expect(sawEnd)
    }
}
