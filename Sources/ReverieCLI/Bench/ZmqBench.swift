import Foundation
import ReverieRemote

/// Remote CartPole-v1 stepped with random actions by `RemoteVectorEnvironment`
/// over TCP loopback: against `reverie serve` with 1 env and with 8 envs per
/// message, and against the Python Gymnasium bridge (envs/gymnasium_server.py),
/// next to the pyzmq REQ/REP round-trip rate (bench/peers/zmq_roundtrip.py),
/// all in the same run. Headline: 1-env Swift↔Swift steps/s over pyzmq round trips/s.
struct ZmqBench {
    var repeats: Int
    var messages = 20_000
    var bridgeMessages = 4_000

    func run() throws -> BenchResult {
        let peerRunner = try PythonPeer()
        let python = peerRunner.root.appendingPathComponent("bench/.venv/bin/python").path
        let bridgeScript = peerRunner.root.appendingPathComponent("envs/gymnasium_server.py").path

        // The headline and its references are measured in rounds, each running
        // the pyzmq peer, the libzmq floor and ours one after the other, so that
        // a slow spell of the machine weighs on all of them alike; each figure
        // is the median over rounds.
        var peerName = "pyzmq", peerRates: [Double] = [], floorRates: [Double] = [], spinningFloorRates: [Double] = [], swiftRates: [Double] = []
        do {
            let echo = try RoundTrips(echoing: Self.stepRequest)
            let swift = try RemoteSteps(BenchServer(swiftEnvs: 1))
            defer { echo.stop(); swift.stop() }
            for _ in 0..<max(3, repeats) {
                let peer = try peerRunner.run("zmq_roundtrip.py", [String(messages), "1", "tcp://127.0.0.1:\(freeLoopbackPort())"])
                peerRates.append((peer["roundtrips_per_s"] as? Double) ?? .nan)
                peerName = (peer["peer_name"] as? String) ?? peerName
                floorRates.append(try echo.perSecond(messages, spinMicroseconds: 0))
                spinningFloorRates.append(try echo.perSecond(messages, spinMicroseconds: 1000))
                swiftRates.append(try swift.perSecond(messages))
            }
        }
        let (peerRate, floor, floorSpinning, swift1) = (median(peerRates), median(floorRates), median(spinningFloorRates), median(swiftRates))
        let swift8 = try RemoteSteps(BenchServer(swiftEnvs: 8)).medianPerSecond(messages, repeats: repeats)
        let bridge1 = try RemoteSteps(BenchServer(python: python, script: bridgeScript, envs: 1)).medianPerSecond(bridgeMessages, repeats: repeats)
        let bridge8 = try RemoteSteps(BenchServer(python: python, script: bridgeScript, envs: 8)).medianPerSecond(bridgeMessages, repeats: repeats)
        let table = """
            CartPole-v1 over ZeroMQ (tcp loopback)     env steps/s   messages/s
            Swift client ↔ reverie serve, 1 env        \(Int(swift1))        \(Int(swift1))
            Swift client ↔ reverie serve, 8 envs       \(Int(swift8))        \(Int(swift8 / 8))   (target ≥ 150000 env steps/s)
            Swift client ↔ Python bridge, 1 env        \(Int(bridge1))        \(Int(bridge1))
            Swift client ↔ Python bridge, 8 envs       \(Int(bridge8))        \(Int(bridge8 / 8))
            pyzmq REQ/REP round trips (peer)           —             \(Int(peerRate))
            libzmq floor: same frames, echoed, no codec —            \(Int(floor)) blocking, \(Int(floorSpinning)) spinning 1 ms
            ratio 1-env Swift↔Swift / pyzmq: \(rounded(swift1 / peerRate, digits: 100))   (target ≥ 1.5; medians of \(peerRates.count) interleaved rounds)
            rounds: ours \(swiftRates.map { Int($0) }), pyzmq \(peerRates.map { Int($0) })
            """
        return BenchResult(
            workload: "zmq", ours: swift1, peer: peerRate, unit: "steps/s vs round trips/s",
            details: ["env": "CartPole-v1", "transport": "tcp://127.0.0.1",
                      "headline": "1 env per message, Swift client and server, vs pyzmq REQ/REP round trips; medians of interleaved rounds",
                      "rounds_ours_steps_per_s": swiftRates.map { rounded($0) },
                      "rounds_peer_roundtrips_per_s": peerRates.map { rounded($0) },
                      "swift_8envs_env_steps_per_s": rounded(swift8),
                      "bridge_1env_steps_per_s": rounded(bridge1),
                      "bridge_8envs_env_steps_per_s": rounded(bridge8),
                      "libzmq_floor_roundtrips_per_s": rounded(floor),
                      "libzmq_floor_spinning_roundtrips_per_s": rounded(floorSpinning),
                      "peer_name": peerName],
            table: table)
    }

    /// What libzmq itself allows here: a CartPole step's request and reply
    /// frames bounced between a REQ socket in this process and a ROUTER echo
    /// in a child process (`reverie bench zmq --probe echo:ENDPOINT`), with no
    /// codec and no env. The client's receives block as the pyzmq peer's do,
    /// or spin as our client's.
    private final class RoundTrips {
        let server: BenchServer
        let socket: Socket
        let request: [[UInt8]]

        init(echoing request: [[UInt8]]) throws {
            server = try BenchServer { ["bench", "zmq", "--probe", "echo:\($0)"] }
            socket = try Socket(.request)
            try socket.connect(server.endpoint)
            self.request = request
            _ = try perSecond(1000, spinMicroseconds: 0)  // connect and warm up
        }

        func perSecond(_ count: Int, spinMicroseconds: Int) throws -> Double {
            try Double(count) / seconds {
                for _ in 0..<count {
                    try socket.send(request)
                    guard try socket.receive(timeout: 10_000, spinMicroseconds: spinMicroseconds) != nil else {
                        throw PythonPeer.Failure.failed("libzmq echo", status: -1, stderr: "no reply within 10 s")
                    }
                }
            }
        }

        func stop() {
            try? socket.send([Array("stop".utf8)])
            _ = try? socket.receive(timeout: 1000)
            server.stop()
        }
    }

    /// A 1-env CartPole step's frames as `RemoteVectorEnvironment` and `reverie serve` write them.
    static var stepRequest: [[UInt8]] {
        WireMessage(header: ["v": 1, "cmd": "step", "seq": 1],
                    arrays: [WireArray(name: "actions", dtype: .int64, shape: [1], values: [1])]).frames()
    }

    static var stepReply: [[UInt8]] {
        WireMessage(header: ["final_indices": [], "v": 1, "seq": 1], arrays: [
            WireArray(name: "observations", dtype: .float32, shape: [1, 4], values: [0.1, 0.2, 0.3, 0.4]),
            WireArray(name: "rewards", dtype: .float32, shape: [1], values: [1]),
            WireArray(name: "terminated", bools: [false]),
            WireArray(name: "truncated", bools: [false]),
            WireArray(name: "final_observations", dtype: .float32, shape: [0, 4], values: []),
        ]).frames()
    }

    /// The child side of `libzmqRoundTrips`: answers every request with
    /// `stepReply` until a request of one frame, "stop". It waits for each
    /// request as `reverie serve` does (spinning 100 µs first), and ends by
    /// itself should the bench process die first.
    static func echo(at endpoint: String) throws {
        let socket = try Socket(.router)
        try socket.bind(endpoint)
        FileHandle.standardError.write(Data("serving \(endpoint)\n".utf8))
        let reply = stepReply, parent = getppid()
        while true {
            guard let frames = try socket.receive(timeout: 1000, spinMicroseconds: 100) else {
                if getppid() != parent { return }
                continue
            }
            // Identity, the REQ delimiter, then the request's frames.
            guard frames.count >= 3 else { continue }
            let envelope = Array(frames.prefix(2))
            if frames.count == 3 && frames[2] == Array("stop".utf8) {
                try socket.send(envelope + [[]])
                return
            }
            try socket.send(envelope + reply)
        }
    }

}

/// Remote CartPole stepped with random actions by `RemoteVectorEnvironment`.
private final class RemoteSteps {
    let server: BenchServer
    let env: RemoteVectorEnvironment
    var rng = RandomGenerator(seed: 1)

    init(_ server: BenchServer) throws {
        self.server = server
        env = try RemoteVectorEnvironment(endpoints: [server.endpoint], timeoutMilliseconds: 10_000)
        _ = try env.reset(seed: 0)
        _ = try perSecond(1000)  // warm up
    }

    /// Env steps per second (messages × envs per message) over one run of `messages`.
    func perSecond(_ messages: Int) throws -> Double {
        let n = env.count
        return try Double(messages * n) / seconds {
            for _ in 0..<messages {
                let actions = Tensor(shape: [n]) { a in for i in 0..<n { a[i] = Float(rng.int(below: 2)) } }
                _ = try env.step(actions)
            }
        }
    }

    /// The median of `repeats` runs, then the server is stopped.
    func medianPerSecond(_ messages: Int, repeats: Int) throws -> Double {
        defer { stop() }
        return median(try (0..<repeats).map { _ in try perSecond(messages) })
    }

    func stop() {
        env.shutDownServers()
        server.stop()
    }
}

/// A server process for a benchmark, on a free loopback port, ready once it
/// has printed its "serving" line.
final class BenchServer {
    let process = Process()
    let endpoint: String

    convenience init(swiftEnvs: Int) throws {
        try self.init { ["serve", "CartPole-v1", "--num-envs", String(swiftEnvs), "--bind", $0] }
    }

    convenience init(python: String, script: String, envs: Int) throws {
        try self.init(python) { [script, "CartPole-v1", "--num-envs", String(envs), "--bind", $0] }
    }

    /// - Parameters:
    ///   - executable: this `reverie` unless given.
    ///   - arguments: the command line for the endpoint to bind.
    init(_ executable: String? = nil, arguments: (String) -> [String]) throws {
        let executable = executable ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        endpoint = "tcp://127.0.0.1:\(freeLoopbackPort())"
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments(endpoint)
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        var line: [UInt8] = []
        while let data = try stderr.fileHandleForReading.read(upToCount: 1), let byte = data.first, byte != 10 { line.append(byte) }
        guard String(decoding: line, as: UTF8.self).hasPrefix("serving") else {
            stop()
            throw PythonPeer.Failure.failed("\(executable) \(process.arguments!.joined(separator: " "))", status: -1,
                                            stderr: String(decoding: line, as: UTF8.self))
        }
    }

    func stop() {
        process.end()
    }
}
