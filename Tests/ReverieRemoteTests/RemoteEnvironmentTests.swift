import Foundation
import ReverieTestSupport
import Testing
@testable import ReverieRemote

/// Real server processes — `reverie serve` and the Python Gymnasium bridge —
/// and real sockets (envs/PROTOCOL.md).
@Suite(.serialized, .timeLimit(.minutes(30)))
struct RemoteEnvironmentTests {
    /// Random CartPole actions from a fixed seed, (T, N).
    static func actions(steps: Int, envs: Int) -> [Tensor] {
        var rng = RandomGenerator(seed: 99)
        return (0..<steps).map { _ in Tensor((0..<envs).map { _ in Float(rng.int(below: 2)) }) }
    }

    /// Everything a trajectory shows, for comparing two vector envs.
    /// With `episodes`, also each env's episode statistics (the client keeps them).
    static func trajectory(_ env: any VectorEnvironment, steps: Int, episodes: Bool = true) throws -> [[Float]] {
        var rows = [try env.reset(seed: 3).scalars]
        for a in actions(steps: steps, envs: env.count) {
            let s = try env.step(a)
            rows.append(s.observations.scalars + s.rewards + s.terminated.map { $0 ? 1 : 0 } + s.truncated.map { $0 ? 1 : 0 }
                        + s.finalObservations.flatMap { $0 ?? [] }
                        + (episodes ? s.infos.flatMap { [$0["episode_return"] ?? -1, $0["episode_length"] ?? -1] } : []))
        }
        return rows
    }

    @Test func remoteTrajectoryEqualsInProcess() throws {
        let server = try ServerProcess(numEnvs: 4)
        let remote = try RemoteVectorEnvironment(endpoints: [server.endpoint], timeoutMilliseconds: 3000)
        let local = try SyncVectorEnvironment(count: 4) { _ in try Registry.make("CartPole-v1") }
        #expect(remote.count == 4 && remote.singleObservationSpace == local.singleObservationSpace)
        #expect(remote.singleActionSpace == .discrete(2))
        // 300 random steps end many episodes, so final observations are compared too.
        #expect(try Self.trajectory(remote, steps: 300) == Self.trajectory(local, steps: 300))
        // close() leaves a server this client did not start serving; shutDownServers() ends it.
        remote.close()
        let again = try RemoteVectorEnvironment(endpoints: [server.endpoint], timeoutMilliseconds: 3000)
        #expect(try again.reset(seed: 0).shape == [4, 4])
        again.shutDownServers()
        #expect(server.waitForExit(), "the server did not end after shutDownServers()")
        #expect(server.process.terminationStatus == 0)
    }

    @Test func severalServersAreOneVectorEnvironment() throws {
        let a = try ServerProcess(numEnvs: 2), b = try ServerProcess(numEnvs: 3)
        let remote = try RemoteVectorEnvironment("zmq://127.0.0.1:\(a.port),zmq://127.0.0.1:\(b.port)")
        let local = try SyncVectorEnvironment(count: 5) { _ in try Registry.make("CartPole-v1") }
        #expect(remote.count == 5)
        #expect(try Self.trajectory(remote, steps: 100) == Self.trajectory(local, steps: 100))
        let frame = try remote.render(index: 3)
        #expect(frame?.width == 600 && frame?.height == 400)
    }

    @Test func trajectoryThroughThePythonBridgeEqualsGymnasiumInProcess() throws {
        let server = try ServerProcess(.python, numEnvs: 4)
        let remote = try RemoteVectorEnvironment(endpoints: [server.endpoint], timeoutMilliseconds: 5000)
        #expect(remote.count == 4 && remote.name == "CartPole-v1")
        #expect(remote.singleObservationSpace == (try Registry.make("CartPole-v1")).observationSpace)
        let steps = 300
        let actions = Self.actions(steps: steps, envs: 4).map { $0.scalars.map(Int.init) }
        let reference = try Self.gymnasiumTrajectory(["env_id": "CartPole-v1", "num_envs": 4, "seed": 3, "actions": actions])
        let viaBridge = try Self.trajectory(remote, steps: steps, episodes: false)
        #expect(viaBridge.count == reference.count)
        for (t, (a, b)) in zip(viaBridge, reference).enumerated() where a != b {
            Issue.record("step \(t): bridge \(a) vs Gymnasium \(b)")
            break
        }
    }

    /// Gymnasium itself, stepped in-process by envs/tests/gymnasium_rollout.py, as trajectory rows.
    static func gymnasiumTrajectory(_ request: [String: Any]) throws -> [[Float]] {
        let result = try ChildProcess.run(URL(fileURLWithPath: ServerProcess.python),
                                          [ServerProcess.repository.appendingPathComponent("envs/tests/gymnasium_rollout.py").path],
                                          input: try JSONSerialization.data(withJSONObject: request), timeout: 300)
        try #require(result.status == 0 && !result.signaled && !result.timedOut,
                     "gymnasium_rollout.py failed (\(result.how); needs envs/requirements.txt): \(result.err)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [[Double]])
        return rows.map { $0.map(Float.init) }
    }

    /// MinAtar-style boolean grids arrive as a 0/1 uint8 Box, values intact.
    @Test func aBooleanBoxIsServedAsZeroOneBytes() throws {
        let server = try ServerProcess(.python, env: "toy_envs:BoolGrid-v0", numEnvs: 1)
        let remote = try RemoteVectorEnvironment(server.endpoint, timeoutMilliseconds: 5000)
        #expect(remote.singleObservationSpace == .box(low: 0, high: 1, shape: [3, 3, 2], dtype: .uint8))
        _ = try remote.reset(seed: 0)
        let step = try remote.step(Tensor([0]))
        // Step 1: cell (0, 1) of channel 1, i.e. flat index (0·3 + 1)·2 + 1.
        #expect(step.observations.scalars == (0..<18).map { $0 == 3 ? 1 : 0 })
        server.kill()
    }

    /// An int16 Box (carried as int32 on the wire) reaches the agent as floats, values exact.
    @Test func anIntegerBoxArrivesAsExactFloats() throws {
        let server = try ServerProcess(.python, env: "toy_envs:IntGrid-v0", numEnvs: 2)
        let remote = try RemoteVectorEnvironment(server.endpoint, timeoutMilliseconds: 5000)
        #expect(remote.singleObservationSpace == .box(low: [-32000, -32000, -32000], high: [32000, 32000, 32000], shape: [3],
                                                      dtype: .float32))
        #expect(try remote.reset(seed: 0).scalars == [-1000, 0, 1000, -1000, 0, 1000])
        #expect(try remote.step(Tensor([0, 1])).observations.scalars == [-2000, 0, 2000, -2000, 0, 2000])
        server.kill()
    }

    @Test(arguments: ServerProcess.Kind.allCases)
    func curveEncryptedServerServesClientsWithItsPublicKeyOnly(kind: ServerProcess.Kind) throws {
        let keys = try CurveKeyPair.generate()
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("reverie-curve-\(UUID()).key")
        try keys.secretKey.write(to: keyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: keyFile) }
        let server = try ServerProcess(kind, extra: ["--curve-secret-key", keyFile.path])
        let remote = try RemoteVectorEnvironment(server.endpoint, timeoutMilliseconds: 3000, curve: CurveClientKeys(serverKey: keys.publicKey))
        _ = try remote.reset(seed: 0)
        #expect(try remote.step(Tensor([1])).rewards == [1])
        // A plain-text client cannot complete the handshake, and is told so.
        #expect {
            _ = try RemoteVectorEnvironment(endpoints: [server.endpoint], timeoutMilliseconds: 3000, retries: 0)
        } throws: { error in
            "\(error)".contains("requires CURVE")
        }
        // So is one expecting another server's key.
        let other = try CurveKeyPair.generate()
        #expect(throws: RemoteEnvironmentError.self) {
            _ = try RemoteVectorEnvironment(endpoints: [server.endpoint], timeoutMilliseconds: 3000, retries: 0,
                                            curve: CurveClientKeys(serverKey: other.publicKey))
        }
        server.kill()
    }

    @Test(arguments: ServerProcess.Kind.allCases)
    func serverStopsCleanlyOnSIGINTAndSIGTERM(kind: ServerProcess.Kind) throws {
        for signal in [SIGINT, SIGTERM] {
            let server = try ServerProcess(kind)
            let remote = try RemoteVectorEnvironment(endpoints: [server.endpoint], timeoutMilliseconds: 2000, retries: 0)
            _ = try remote.reset(seed: 0)
            let (status, stderr) = server.stop(signal)
            #expect(status == 0, "\(kind) exited with \(status) on signal \(signal): \(stderr)")
            #expect(!stderr.contains("Error") && !stderr.contains("Traceback"), "\(stderr)")
        }
    }

    @Test(arguments: ServerProcess.Kind.allCases)
    func deadServerIsAClearErrorAndARestartedOneIsPickedUp(kind: ServerProcess.Kind) throws {
        let server = try ServerProcess(kind)
        let remote = try RemoteVectorEnvironment(endpoints: [server.endpoint], timeoutMilliseconds: 300, retries: 2)
        _ = try remote.reset(seed: 0)
        server.kill()
        let start = Date()
        #expect {
            _ = try remote.step(Tensor([1]))
        } throws: { error in
            "\(error)".contains(server.endpoint) && "\(error)".contains("no reply")
        }
        // Three attempts of 300 ms, plus reconnects.
        #expect(Date().timeIntervalSince(start) < 2.5)
        let restarted = try ServerProcess(kind, port: server.port)
        _ = try remote.reset(seed: 0)
        #expect(try remote.step(Tensor([0])).observations.shape == [1, 4])
        restarted.kill()
    }

    @Test func invalidActionsAreErrorRepliesAndChangeNothing() throws {
        let server = try ServerProcess(numEnvs: 2)
        let remote = try RemoteVectorEnvironment(endpoints: [server.endpoint])
        _ = try remote.reset(seed: 1)
        #expect {
            _ = try remote.step(Tensor([0, 7]))
        } throws: { error in
            "\(error)".contains("not in Discrete(2)")
        }
        let local = try SyncVectorEnvironment(count: 2) { _ in try Registry.make("CartPole-v1") }
        _ = try local.reset(seed: 1)
        #expect(try remote.step(Tensor([1, 1])).observations.scalars == local.step(Tensor([1, 1])).observations.scalars)
    }

    @Test(arguments: ServerProcess.Kind.allCases)
    func retriedStepWithTheSameSequenceDoesNotStepTwice(kind: ServerProcess.Kind) throws {
        let server = try ServerProcess(kind)
        let socket = try Socket(.request)
        try socket.connect(server.endpoint)
        func request(_ header: JSONObject, _ arrays: [WireArray] = []) throws -> WireMessage {
            try socket.send(WireMessage(header: header, arrays: arrays).frames())
            return try WireMessage(frames: #require(try socket.receive(timeout: 3000)))
        }
        _ = try request(["v": 1, "cmd": "reset", "seq": 1, "seed": 0])
        let action = WireArray(name: "actions", dtype: .int64, shape: [1], values: [1])
        let first = try request(["v": 1, "cmd": "step", "seq": 2], [action])
        let again = try request(["v": 1, "cmd": "step", "seq": 2], [action])
        let next = try request(["v": 1, "cmd": "step", "seq": 3], [action])
        #expect(try first.array("observations") == again.array("observations"))
        #expect(try next.array("observations") != first.array("observations"))
    }

    @Test(arguments: ServerProcess.Kind.allCases)
    func thousandsOfMalformedMessagesEachGetAnErrorAndServingGoesOn(kind: ServerProcess.Kind) throws {
        let server = try ServerProcess(kind, numEnvs: 2)
        let socket = try Socket(.request)
        try socket.connect(server.endpoint)
        var rng = RandomGenerator(seed: 5)
        func json(_ object: Any) -> [UInt8] { Array(try! JSONSerialization.data(withJSONObject: object)) }
        let goodAction = WireArray(name: "actions", dtype: .int64, shape: [2], values: [0, 1])
        let malformed: [() -> [[UInt8]]] = [
            { [(0..<rng.int(below: 200)).map { _ in UInt8(rng.int(below: 256)) }] },
            { [json(["v": 1, "cmd": "step", "seq": 1])] },
            { [json(["v": 1, "cmd": "step", "seq": 1, "arrays": [["name": "actions", "dtype": "int64", "shape": [2]]]])] },
            { [json(["v": 1, "cmd": "step", "seq": 1, "arrays": [["name": "actions", "dtype": "int64", "shape": [3]]]]), goodAction.bytes] },
            { [json(["v": 1, "cmd": "step", "seq": 1, "arrays": [["name": "actions", "dtype": "int64", "shape": [2]]]]), [1, 2, 3]] },
            { [json(["v": 1, "cmd": "step", "seq": 1, "arrays": [["name": "actions", "dtype": "complex128", "shape": [2]]]]), goodAction.bytes] },
            { [json(["v": 1, "cmd": "step", "seq": 1, "arrays": [["name": "actions", "dtype": "float32", "shape": [2]]]]), [UInt8](repeating: 0, count: 8)] },
            { [json(["v": 1, "cmd": "step", "seq": 1, "arrays": [["name": "actions", "dtype": "int64", "shape": [2]]]]), WireArray(name: "a", dtype: .int64, shape: [2], values: [5, -1]).bytes] },
            { [json(["v": 1, "cmd": "fly", "seq": 1])] },
            { [json(["v": 9, "cmd": "spec", "seq": 1])] },
            { [json(["v": 1, "cmd": "spec", "seq": -4])] },
            { [json(["v": 1, "cmd": "render", "seq": 1, "index": 10])] },
            { [json([1, 2, 3])] },
            { [Array(("{\"pad\": \"" + String(repeating: "x", count: 70_000) + "\"}").utf8)] },
            { [json(["v": 1, "cmd": "spec", "seq": 1]), [1, 2]] },
        ]
        for i in 0..<2000 {
            try socket.send(malformed[i % malformed.count]())
            let reply = try WireMessage(frames: #require(try socket.receive(timeout: 3000), "no reply to malformed message \(i)"))
            #expect(reply.header["error"]?.string != nil, "malformed message \(i % malformed.count) got no error")
        }
        let remote = try RemoteVectorEnvironment(endpoints: [server.endpoint])
        _ = try remote.reset(seed: 0)
        #expect(try remote.step(Tensor([0, 1])).rewards == [1, 1])
    }

    /// Env i is seeded seed + i over the wire, as a JSON integer: a seed
    /// past what that can carry is a clear error, not a crash.
    @Test func aSeedBeyondTheProtocolsIntegersIsAClearError() throws {
        let server = try ServerProcess(numEnvs: 2)
        defer { server.kill() }
        let env = try RemoteVectorEnvironment(endpoints: [server.endpoint])
        #expect(throws: RemoteEnvironmentError.self) { try env.reset(seed: UInt64(Int.max)) }
        #expect(try env.reset(seed: UInt64(Int.max - 2)).shape == [2, 4])
    }

    /// `reverie envs check zmq://…` steps every served env with random
    /// actions and reports each episode as it ends; the same seed on a fresh
    /// server gives the same episodes.
    @Test(arguments: ServerProcess.Kind.allCases)
    func envsCheckStepsAServedEnv(kind: ServerProcess.Kind) throws {
        func check() throws -> [Substring] {
            let server = try ServerProcess(kind, numEnvs: 2)
            defer { server.kill() }
            let result = try ChildProcess.run(ServerProcess.executable,
                                              ["envs", "check", "zmq://127.0.0.1:\(server.port)", "--episodes", "4", "--seed", "3"],
                                              timeout: 300)
            #expect(result.status == 0 && !result.signaled && !result.timedOut, "\(result.how): \(result.out)\(result.err)")
            return result.out.split(separator: "\n")
        }
        let lines = try check()
        let episodes = lines.filter { $0.hasPrefix("episode ") }
        #expect(episodes.count == 4, "\(lines)")
        // CartPole pays 1 per step: each return is its length.
        for line in episodes {
            let numbers = line.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .punctuationCharacters)) }
            #expect(numbers.count == 4 && numbers[2] == numbers[3] && numbers[3] >= 8, "\(line)")
        }
        #expect(lines.last?.hasPrefix("CartPole-v1 at zmq://127.0.0.1:") == true && lines.last?.contains("(2 envs): 4 episodes") == true,
                "\(lines)")
        #expect(try check().filter { $0.hasPrefix("episode ") } == episodes)
    }

    /// `reverie view` watches a served env as it watches a built-in one: the
    /// same seed gives the same picture, byte for byte, through the server
    /// (both screenshots read back from a window under xvfb-run).
    @Test func theViewerWatchesAServedEnvAsAnInProcessOne() throws {
        let server = try ServerProcess(numEnvs: 2)
        func screenshot(_ env: String) throws -> Data {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("view-\(UUID().uuidString).png")
            defer { try? FileManager.default.removeItem(at: path) }
            let result = try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/xvfb-run"),
                                              ["-a", ServerProcess.executable.path, "view", "--random", env, "--frames", "40",
                                               "--seed", "5", "--screenshot", path.path, "--hidden"],
                                              timeout: 300)
            #expect(result.status == 0 && !result.signaled && !result.timedOut,
                    "reverie view --random \(env) failed (\(result.how)): \(result.err)")
            return try Data(contentsOf: path)
        }
        let served = try screenshot("zmq://127.0.0.1:\(server.port)"), local = try screenshot("CartPole-v1")
        // Identical files (the encoder is deterministic), of a real picture: more than a blank one compresses to.
        #expect(served.count > 2_000 && served == local, "\(served.count) and \(local.count) bytes")
    }
}
