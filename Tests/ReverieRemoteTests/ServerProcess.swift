import Foundation

/// A `reverie serve` process on a free loopback port, killed when released.
final class ServerProcess {
    let process = Process()
    let endpoint: String
    let port: Int

    /// The `reverie` executable built next to this test bundle.
    static var executable: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("reverie").path), dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("reverie")
    }

    /// A port nothing listens on yet (bind port 0, read it back, release it).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    init(env: String = "CartPole-v1", numEnvs: Int = 1, port: Int? = nil, extra: [String] = []) throws {
        self.port = port ?? Self.freePort()
        endpoint = "tcp://127.0.0.1:\(self.port)"
        process.executableURL = Self.executable
        process.arguments = ["serve", env, "--num-envs", String(numEnvs), "--bind", endpoint] + extra
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// SIGKILL: the server dies as a crashed one would, with no goodbye.
    func kill() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { kill() }
}
