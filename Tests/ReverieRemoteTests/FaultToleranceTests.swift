import Foundation
import ReverieTestSupport
import Testing
import ReverieAgents
import ReverieEnvs
import ReverieNN
@testable import ReverieRemote
@testable import ReverieTraining

/// Served envs and training runs under faults (envs/PROTOCOL.md version 2):
/// retries from a new socket, servers killed and restarted, servers gone for
/// good, non-finite values from an env, Ctrl-C during a slow step, CURVE
/// allow-lists and remote `close`. Real server processes, real sockets.
@Suite(.serialized, .timeLimit(.minutes(30)))
struct FaultToleranceTests {
    /// A raw client socket speaking the protocol, as a client written from PROTOCOL.md would.
    final class RawClient {
        let socket: Socket
        init(_ endpoint: String) throws {
            socket = try Socket(.request)
            try socket.connect(endpoint)
        }
        func request(_ header: JSONObject, _ arrays: [WireArray] = []) throws -> WireMessage {
            try socket.send(WireMessage(header: header, arrays: arrays).frames())
            return try WireMessage(frames: #require(try socket.receive(timeout: 5000), "no reply to \(header)"))
        }
    }

    static let action = WireArray(name: "actions", dtype: .int64, shape: [1], values: [1])

    /// PROTOCOL.md's retry recipe — close, reconnect, resend the same `client`
    /// and `seq` — from a new socket (a new routing id) does not step again.
    @Test(arguments: ServerProcess.Kind.allCases)
    func aRetryFromANewSocketWithTheSameClientIdDoesNotStepTwice(kind: ServerProcess.Kind) throws {
        let server = try ServerProcess(kind), reference = try ServerProcess(kind)
        let first = try RawClient(server.endpoint)
        _ = try first.request(["v": 2, "cmd": "reset", "seq": 1, "seed": 0, "client": "tester-1"])
        let reply = try first.request(["v": 2, "cmd": "step", "seq": 2, "client": "tester-1"], [Self.action])
        first.socket.close()
        let second = try RawClient(server.endpoint)
        let resent = try second.request(["v": 2, "cmd": "step", "seq": 2, "client": "tester-1"], [Self.action])
        #expect(try resent.array("observations") == reply.array("observations"))
        let next = try second.request(["v": 2, "cmd": "step", "seq": 3, "client": "tester-1"], [Self.action])
        // The same two steps on a server that saw no retry.
        let plain = try RawClient(reference.endpoint)
        _ = try plain.request(["v": 2, "cmd": "reset", "seq": 1, "seed": 0])
        _ = try plain.request(["v": 2, "cmd": "step", "seq": 2], [Self.action])
        let twoSteps = try plain.request(["v": 2, "cmd": "step", "seq": 3], [Self.action])
        #expect(try next.array("observations") == twoSteps.array("observations"), "the resent step was stepped again")
    }

    /// Every reply names the server instance; an error reply carries the
    /// request's `seq` whenever it could be read, whatever else is wrong.
    @Test(arguments: ServerProcess.Kind.allCases)
    func errorRepliesCarryTheSequenceAndTheServerInstance(kind: ServerProcess.Kind) throws {
        let server = try ServerProcess(kind, extra: ["--max-message-bytes", "4096"])
        let client = try RawClient(server.endpoint)
        let spec = try client.request(["v": 2, "cmd": "spec", "seq": 1])
        let instance = try #require(spec.header["server"]?.string)
        #expect(spec.header["max_message_bytes"]?.int == 4096)
        func errorReply(_ frames: [[UInt8]]) throws -> JSONObject {
            try client.socket.send(frames)
            let reply = try WireMessage(frames: #require(try client.socket.receive(timeout: 5000)))
            #expect(reply.header["error"]?.string != nil, "\(reply.header)")
            #expect(reply.header["server"]?.string == instance)
            return reply.header
        }
        func header(_ object: [String: Any]) -> [UInt8] { Array(try! JSONSerialization.data(withJSONObject: object)) }
        let cases: [[[UInt8]]] = [
            // A byte count past 2^63 (the element count alone fits).
            [header(["v": 2, "cmd": "step", "seq": 7, "arrays": [["name": "actions", "dtype": "int64", "shape": [1 << 61]]]]), [0]],
            [header(["v": 2, "cmd": "step", "seq": 7, "arrays": [["name": "actions", "dtype": "int64", "shape": [1 << 31, 1 << 31]]]]), [0]],
            [header(["v": 2, "cmd": "step", "seq": 7, "arrays": [["name": "actions", "dtype": "int64", "shape": [1]]]])],
            [header(["v": 2, "cmd": "step", "seq": 7]), [UInt8](repeating: 1, count: 5000)],
            [header(["v": 7, "cmd": "spec", "seq": 7])],
            [header(["v": 2, "cmd": "fly", "seq": 7])],
            [header(["v": 2, "cmd": "step", "seq": 7, "client": "not ok!"])],
            [header(["v": 2, "cmd": "step", "seq": 7])],
        ]
        for frames in cases { #expect(try errorReply(frames)["seq"] == .int(7), "\(String(decoding: frames[0], as: UTF8.self))") }
        #expect(try errorReply([Array("not json".utf8)])["seq"] == .null)
    }

    /// A server killed (SIGKILL) and started again on the same port is picked
    /// up: its envs are reset and the interrupted episodes end truncated, with
    /// the last observation seen as their final one.
    @Test(arguments: ServerProcess.Kind.allCases)
    func aRestartedServerIsPickedUpAndItsEpisodesEndTruncated(kind: ServerProcess.Kind) throws {
        let server = try ServerProcess(kind, numEnvs: 3)
        let remote = try RemoteVectorEnvironment(endpoints: [server.endpoint], timeoutMilliseconds: 1000, retries: 4)
        _ = try remote.reset(seed: 0)
        var last = try remote.step(Tensor([0, 1, 0])).observations
        last = try remote.step(Tensor([1, 0, 1])).observations
        server.kill()
        let restarted = try ServerProcess(kind, numEnvs: 3, port: server.port)
        defer { restarted.kill() }
        let step = try remote.step(Tensor([0, 0, 0]))
        #expect(step.truncated == [true, true, true] && step.terminated == [false, false, false])
        #expect(step.finalObservations.map { $0 ?? [] } == (0..<3).map { Array(last.scalars[($0 * 4)..<(($0 + 1) * 4)]) })
        #expect(step.rewards == [0, 0, 0])
        #expect(step.infos.allSatisfy { $0["episode_length"] == 2 }, "\(step.infos)")
        #expect(remote.interruptedEpisodes == 3 && remote.restarts == 1)
        // And on it goes, on the new server.
        #expect(try remote.step(Tensor([1, 1, 1])).rewards == [1, 1, 1])
    }

    // MARK: - Training runs

    /// PPO on CartPole served by `reverie serve`, in a temporary run folder.
    static func remoteRun(_ endpoint: String, totalSteps: Int = 4096, _ edit: (inout TrainConfig) -> Void = { _ in }) throws -> (TrainConfig, URL) {
        var c = TrainConfig()
        (c.env, c.totalSteps, c.checkpointEvery, c.evalEpisodes) = ("zmq://" + endpoint.dropFirst(6), totalSteps, 0, 0)
        (c.ppo.rolloutSteps, c.ppo.epochs, c.ppo.minibatchSize) = (64, 2, 128)
        (c.remoteTimeoutMilliseconds, c.remoteRetries) = (500, 4)
        edit(&c)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reverie-fault-\(UUID())")
        return (c, dir)
    }

    /// `reverie eval` of a policy trained on a user's own server plays it there
    /// and leaves it serving: the policy disconnects, it does not ask the server to close.
    @Test func aPolicyTrainedOnAUsersServerIsEvaluatedThereAndTheServerServesOn() throws {
        let server = try ServerProcess(numEnvs: 2)
        defer { server.kill() }
        let (config, dir) = try Self.remoteRun(server.endpoint, totalSteps: 256) { $0.numEnvs = 2 }
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Trainer(config: config, runDirectory: dir).run()
        let saved = try SavedPolicy(contentsOf: dir)
        #expect(saved.environment?.count == 2)
        #expect(try saved.evaluate(episodes: 3, seed: 1).count == 3)
        saved.close()
        let again = try RemoteVectorEnvironment(config.env, timeoutMilliseconds: 2_000, retries: 1)
        #expect(try again.reset(seed: 0).shape == [2, 4], "the user's server stopped after the evaluation")
    }

    /// `reverie eval RUN --env zmq://…` plays a policy trained in-process against
    /// a server, `--random zmq://…` plays random actions there, and an env the
    /// policy does not fit is a clear error before any episode.
    @Test func evalPlaysAPolicyOrRandomActionsAgainstAServerNamedByEnv() throws {
        var config = TrainConfig()
        (config.env, config.totalSteps, config.checkpointEvery, config.evalEpisodes) = ("CartPole-v1", 2048, 0, 0)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reverie-eval-env-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Trainer(config: config, runDirectory: dir).run()
        let server = try ServerProcess(numEnvs: 2)
        defer { server.kill() }
        let address = "zmq://" + server.endpoint.dropFirst(6)
        func eval(_ arguments: [String]) throws -> (status: Int32, json: [String: Any]?, err: String) {
            let result = try ChildProcess.run(ServerProcess.executable, ["eval"] + arguments + ["--json"], timeout: 300)
            return (result.exitCode, try? JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any], result.err)
        }
        let served = try eval([dir.path, "--env", address, "--episodes", "5"])
        #expect(served.status == 0, "\(served.err)")
        #expect(served.json?["env"] as? String == address && (served.json?["returns"] as? [Double])?.count == 5, "\(served)")
        #expect((served.json?["returns"] as? [Double] ?? []).allSatisfy { $0 >= 8 && $0 <= 500 })
        let random = try eval(["--random", address, "--episodes", "20"])
        #expect(random.status == 0 && random.json?["policy"] as? String == "random", "\(random.err)")
        let returns = random.json?["returns"] as? [Double] ?? []
        // CartPole under random actions lasts about 22 steps (Gymnasium's figure).
        #expect(returns.count == 20 && returns.reduce(0, +) / 20 > 12 && returns.reduce(0, +) / 20 < 40, "\(returns)")
        let unfit = try eval([dir.path, "--env", "Pendulum-v1"])
        #expect(unfit.status == 64 && unfit.err.contains("does not fit Pendulum-v1") && !unfit.err.contains("Usage:"), "\(unfit.err)")
        let both = try eval(["--random", address, "--env", address])
        #expect(both.status == 64 && both.err.contains("--random names its env itself"), "\(both.err)")
        let again = try RemoteVectorEnvironment(address, timeoutMilliseconds: 2_000, retries: 1)
        #expect(try again.reset(seed: 0).shape == [2, 4], "the user's server stopped after the evaluations")
    }

    /// VecNormalize with a server's envs: the run normalises on its side, its
    /// checkpoint holds the statistics (exact for a resume, and as plain
    /// tensors), and `reverie eval` plays the policy there with them frozen.
    @Test func servedEnvsAreNormalisedOnTheLearnersSide() throws {
        let server = try ServerProcess(numEnvs: 2)
        defer { server.kill() }
        let (config, dir) = try Self.remoteRun(server.endpoint, totalSteps: 1024) {
            ($0.normalizeObservations, $0.normalizeRewards, $0.numEnvs, $0.evalEpisodes) = (true, true, 2, 4)
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try Trainer(config: config, runDirectory: dir)
        #expect(Trainer.environment(VectorNormalize.self, in: trainer.agent.environment) != nil)
        _ = try trainer.run()
        let checkpoint = try Checkpoint(contentsOf: try #require(try Trainer.checkpoints(in: dir).last).url)
        #expect(checkpoint.metadata["normalizer.observations"] != nil && checkpoint.metadata["normalizer.rewards"] != nil)
        // The last evaluation, after the last checkpoint, left the statistics as that checkpoint holds them.
        #expect(checkpoint.metadata["normalizer.observations"]
                == trainer.normalization.observations!.words.map(String.init).joined(separator: ","))
        let mean = try #require(checkpoint.tensors["normalizer.observations.mean"])
        #expect(mean.shape == [4] && mean.scalars == trainer.normalization.observations!.state["mean"]!.scalars)
        let saved = try SavedPolicy(contentsOf: dir)
        defer { saved.close() }
        let environment = try #require(saved.environment)
        let frozen = try #require(Trainer.environment(VectorNormalize.self, in: environment))
        #expect(!frozen.isUpdating && frozen.rewards == nil)
        let before = saved.normalization.observations!.words
        #expect(try saved.evaluate(episodes: 3, seed: 1).count == 3)
        #expect(saved.normalization.observations!.words == before && before == trainer.normalization.observations!.words)
    }

    /// Periodic evaluation needs an env of its own; a user's servers are the
    /// training's, so asking for it there is a clear error that leaves no run folder.
    @Test func periodicEvaluationOnAUsersServersIsAClearError() throws {
        let server = try ServerProcess(numEnvs: 1)
        defer { server.kill() }
        let (config, dir) = try Self.remoteRun(server.endpoint) { ($0.evalEvery, $0.evalEpisodes) = (256, 2) }
        #expect { _ = try Trainer(config: config, runDirectory: dir) } throws: { error in
            "\(error)".contains("run.eval_every evaluates on an env of its own")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path))
    }

    /// A served env's own count of envs is the run's, whatever num_envs says, and the run says so.
    @Test func aServersCountOfEnvsIsTheRunsAndTheRunSaysSo() throws {
        let server = try ServerProcess(numEnvs: 2)
        defer { server.kill() }
        let (config, dir) = try Self.remoteRun(server.endpoint, totalSteps: 256) { $0.numEnvs = 8 }
        defer { try? FileManager.default.removeItem(at: dir) }
        var messages: [String] = []
        let trainer = try Trainer(config: config, runDirectory: dir, log: { messages.append($0) })
        #expect(messages.contains { $0.contains("serves 2 envs") && $0.contains("num_envs, 8,") }, "\(messages)")
        #expect(trainer.agent.environment.count == 2)
        #expect(try trainer.run().envSteps >= 256)
    }

    /// The fault test: a server killed (-9) and restarted under a training run.
    /// The run goes on to its end and its summary counts the truncated episodes.
    @Test func trainingGoesOnThroughAServerRestartAndCountsTheInterruptedEpisodes() throws {
        let server = try ServerProcess(numEnvs: 4)
        var restarted: ServerProcess?
        defer { restarted?.kill() }
        let (config, dir) = try Self.remoteRun(server.endpoint)
        defer { try? FileManager.default.removeItem(at: dir) }
        var messages: [String] = []
        let trainer = try Trainer(config: config, runDirectory: dir, log: { messages.append($0) })
        var iterations = 0
        let summary = try trainer.run(shouldStop: {
            iterations += 1
            if iterations == 4 {
                server.kill()
                restarted = try? ServerProcess(numEnvs: 4, port: server.port)
            }
            return false
        })
        #expect(summary.outcome == .completed && summary.envSteps == 4096)
        #expect(summary.interruptedEpisodes == 4 && summary.serverRestarts == 1)
        #expect(messages.contains { $0.contains("restarted") }, "\(messages)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("summary.json"))) as! [String: Any]
        #expect(json["interrupted_episodes"] as? Int == 4)
    }

    /// A server that stays away past the retries stops the run with a
    /// checkpoint of where it was, as Ctrl-C does, and an error saying how to resume.
    @Test func aServerGoneForGoodEndsTheRunWithACheckpoint() throws {
        let server = try ServerProcess(numEnvs: 2)
        let (config, dir) = try Self.remoteRun(server.endpoint) { ($0.remoteTimeoutMilliseconds, $0.remoteRetries) = (200, 1) }
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try Trainer(config: config, runDirectory: dir)
        var iterations = 0
        let error = #expect(throws: RunStopped.self) {
            try trainer.run(shouldStop: {
                iterations += 1
                if iterations == 3 { server.kill() }
                return false
            })
        }
        let stopped = try #require(error)
        #expect("\(stopped.reason)".contains("no reply from \(server.endpoint)"), "\(stopped)")
        let checkpoint = try #require(stopped.checkpoint)
        #expect(FileManager.default.fileExists(atPath: checkpoint.path))
        #expect(try Trainer.checkpoints(in: dir).last?.step == trainer.agent.environmentSteps)
        #expect("\(stopped)".contains("reverie train --resume \(dir.path)"))
    }

    /// A NaN in a served env's observation stops the run where it enters, with
    /// a checkpoint and an error naming env, step and field; with
    /// `run.non_finite = "zero"` the run goes on and counts it.
    @Test func aNonFiniteObservationFromAServedEnvStopsTheRunWithACheckpoint() throws {
        let server = try ServerProcess(.python, env: "fault_envs:NaNAt-v0", numEnvs: 2, extra: ["--kwargs", #"{"at": 95}"#])
        let (config, dir) = try Self.remoteRun(server.endpoint, totalSteps: 1024)
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = #expect(throws: RunStopped.self) { try Trainer(config: config, runDirectory: dir).run() }
        let reason = try #require(error?.reason as? NonFiniteValueError)
        #expect(reason.value.isNaN && reason.step == 95 && reason.field == "observation, element 2", "\(reason)")
        #expect(reason.env == 0 || reason.env == 1)
        #expect(error?.checkpoint != nil)

        let again = try ServerProcess(.python, env: "fault_envs:NaNAt-v0", numEnvs: 2, extra: ["--kwargs", #"{"at": 95, "field": "reward"}"#])
        let (zeroing, dir2) = try Self.remoteRun(again.endpoint, totalSteps: 1024) { $0.nonFinite = "zero" }
        defer { try? FileManager.default.removeItem(at: dir2) }
        var warnings: [String] = []
        let summary = try Trainer(config: zeroing, runDirectory: dir2, log: { warnings.append($0) }).run()
        #expect(summary.outcome == .completed && summary.nonFiniteReplaced == 2, "both envs send one NaN reward")
        #expect(warnings.filter { $0.contains("replaced by 0") }.count == 2, "\(warnings)")
    }

    /// Ctrl-C while the trainer waits for a slow served step (a reply slower
    /// than the timeout, so resends and late replies happen too): the run
    /// stops cleanly with a checkpoint, every time.
    @Test func ctrlCDuringASlowServedStepStopsWithACheckpoint() throws {
        let server = try ServerProcess(.python, env: "toy_envs:Counter-v0", numEnvs: 2, extra: ["--kwargs", #"{"delay": 0.04}"#])
        for attempt in 0..<3 {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reverie-ctrl-c-\(UUID())")
            defer { try? FileManager.default.removeItem(at: dir) }
            let run = try ChildProcess(ServerProcess.executable,
                                       ["train", "ppo-cartpole", "--run-dir", dir.path, "--set", "env=zmq://127.0.0.1:\(server.port)",
                                        "--set", "remote.timeout_ms=25", "--set", "remote.retries=50", "--set", "total_steps=1000000",
                                        "--quiet"],
                                       directory: ServerProcess.repository)
            // Somewhere in the middle of a step, later each attempt.
            Thread.sleep(forTimeInterval: 2.0 + 0.37 * Double(attempt))
            run.signal(SIGINT)
            let result = run.finish(upTo: 120)
            let text = result.err
            #expect(result.status == 0 && !result.signaled && !result.timedOut, "attempt \(attempt) (\(result.how)): \(text)")
            #expect(!text.contains("reply for seq"), "attempt \(attempt): \(text)")
            #expect(try !Trainer.checkpoints(in: dir).isEmpty, "attempt \(attempt): no checkpoint")
        }
    }

    // MARK: - Exposure

    /// A CURVE server with an allow-list (`--curve-allow DIR`) serves the
    /// clients whose keys DIR holds; an unlisted key, a wrong server key and a
    /// plain client each get a clear handshake error, quickly, not a timeout.
    @Test(arguments: ServerProcess.Kind.allCases)
    func aCurveAllowListServesListedClientsAndRefusesOthersClearly(kind: ServerProcess.Kind) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reverie-keys-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let serverKeys = try CurveKeyPair.generate(), alice = try CurveKeyPair.generate(), mallory = try CurveKeyPair.generate()
        let serverFiles = try serverKeys.write(to: dir, name: "server")
        let aliceFiles = try alice.write(to: dir.appendingPathComponent("clients"), name: "alice")
        let malloryFiles = try mallory.write(to: dir, name: "mallory")
        let server = try ServerProcess(kind, extra: ["--curve-secret-key", serverFiles.secretFile.path,
                                                     "--curve-allow", dir.appendingPathComponent("clients").path])
        let allowed = try RemoteVectorEnvironment(server.endpoint, timeoutMilliseconds: 3000,
                                                  curve: CurveClientKeys(serverKey: serverFiles.publicFile.path, clientSecretFile: aliceFiles.secretFile.path))
        _ = try allowed.reset(seed: 0)
        #expect(try allowed.step(Tensor([1])).rewards == [1])
        let refusals: [(CurveClientKeys?, String)] = [
            (try CurveClientKeys(serverKey: serverKeys.publicKey, clientSecretFile: malloryFiles.secretFile.path), "refused this client's key"),
            (CurveClientKeys(serverKey: mallory.publicKey), "the server's public key"),
            (nil, "requires CURVE"),
        ]
        for (keys, expected) in refusals {
            let start = Date()
            #expect {
                _ = try RemoteVectorEnvironment(endpoints: [server.endpoint], timeoutMilliseconds: 3000, retries: 2, curve: keys)
            } throws: { error in
                "\(error)".contains("CURVE handshake with \(server.endpoint) failed") && "\(error)".contains(expected)
            }
            #expect(Date().timeIntervalSince(start) < 2.0, "\(expected): the error took the timeout")
        }
    }

    /// This machine's first address that is not loopback, if it has one.
    static var externalAddress: String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            var host = [CChar](repeating: 0, count: 64)
            getnameinfo(address, socklen_t(MemoryLayout<sockaddr_in>.size), &host, 64, nil, 0, NI_NUMERICHOST)
            let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !text.hasPrefix("127.") { return text }
        }
        return nil
    }

    /// `close` from another machine's address is refused (the server goes on
    /// serving) unless the server was started with --allow-remote-close.
    @Test(.enabled(if: externalAddress != nil, "this machine has no address but loopback"), arguments: ServerProcess.Kind.allCases)
    func closeFromAnotherMachineIsRefusedUnlessAllowed(kind: ServerProcess.Kind) throws {
        let address = try #require(Self.externalAddress)
        for allowed in [false, true] {
            let port = freeLoopbackPort()
            let server = try ServerProcess(kind, bind: "tcp://0.0.0.0:\(port)", extra: allowed ? ["--allow-remote-close"] : [])
            let client = try RawClient("tcp://\(address):\(port)")
            let reply = try client.request(["v": 2, "cmd": "close", "seq": 1])
            if allowed {
                #expect(reply.header["error"] == nil)
                #expect(server.waitForExit(), "close did not end the server")
            } else {
                #expect(reply.header["error"]?.string?.contains("refused") == true, "\(reply.header)")
                #expect(try client.request(["v": 2, "cmd": "spec", "seq": 2]).header["num_envs"] == .int(1), "the server stopped serving")
                // From loopback, close is obeyed.
                let local = try RawClient("tcp://127.0.0.1:\(port)")
                #expect(try local.request(["v": 2, "cmd": "close", "seq": 1]).header["error"] == nil)
                #expect(server.waitForExit(), "close did not end the server")
            }
        }
    }

    /// A server bound beyond loopback without CURVE says so, loudly.
    @Test(arguments: ServerProcess.Kind.allCases)
    func anExposedServerWithoutCurveWarns(kind: ServerProcess.Kind) throws {
        let server = try ServerProcess(kind, bind: "tcp://0.0.0.0:\(freeLoopbackPort())")
        let (_, stderr) = server.stop(SIGTERM)
        #expect(stderr.contains("WARNING") && stderr.contains("CURVE"), "\(stderr)")
        let local = try ServerProcess(kind)
        #expect(!local.stop(SIGTERM).stderr.contains("WARNING"))
    }
}
