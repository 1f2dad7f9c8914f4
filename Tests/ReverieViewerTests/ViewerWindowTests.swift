import Foundation
import ReverieTestSupport
import Testing
import ReverieAgents
import ReverieEnvs
@testable import ReverieTraining
import ReverieWorldModels
@testable import ReverieViewer

/// `reverie view` in a real GLFW window on a virtual display (xvfb-run,
/// which scripts/setup installs): the screenshot is read back from OpenGL,
/// so it is what a user would see. It must equal the picture the viewer
/// composes for the same seed and step count, and not be blank.
@Suite(.serialized, .timeLimit(.minutes(30))) struct ViewerWindowTests {
    static var executable: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("reverie").path), dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("reverie")
    }

    /// Runs `xvfb-run -a reverie view …`; returns the screenshot's RGB bytes.
    static func screenshot(_ arguments: [String]) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        try watch(arguments).shot
    }

    /// `screenshot`, with what the command printed (its summary line).
    static func watch(_ arguments: [String]) throws -> (shot: (width: Int, height: Int, pixels: [UInt8]), message: String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("view-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: path) }
        let result = try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/xvfb-run"),
                                          ["-a", executable.path, "view"] + arguments + ["--screenshot", path.path, "--hidden"],
                                          timeout: 300)
        #expect(result.status == 0 && !result.signaled && !result.timedOut, "reverie view failed (\(result.how)): \(result.err)")
        return (try decodePNG(Data(contentsOf: path)), result.err)
    }

    /// Reads back a PNG as `PNGWriter` writes it (filter 0, deflate blocks stored
    /// or of the fixed Huffman codes); Tests/ReverieTrainingTests/PNGTests.swift
    /// checks such files with Pillow.
    static func decodePNG(_ data: Data) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        let bytes = [UInt8](data)
        func u32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        var (i, width, height, zlib) = (8, 0, 0, [UInt8]())
        while i < bytes.count {
            let (length, type) = (u32(i), String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self))
            let body = Array(bytes[(i + 8)..<(i + 8 + length)])
            if type == "IHDR" { (width, height) = (u32(i + 8), u32(i + 12)) }
            if type == "IDAT" { zlib += body }
            i += 12 + length
        }
        let raw = try inflate(Array(zlib[2..<(zlib.count - 4)]))
        let row = width * 3 + 1
        return (width, height, (0..<height).flatMap { raw[($0 * row + 1)..<(($0 + 1) * row)] })
    }

    struct UnsupportedDeflate: Error {}

    /// RFC 1951 for the two block types `PNGWriter` writes: stored, and the fixed Huffman codes.
    static func inflate(_ input: [UInt8]) throws -> [UInt8] {
        var (out, bit) = ([UInt8](), 0)
        func bits(_ n: Int) -> Int {
            var value = 0
            for k in 0..<n { value |= Int((input[(bit + k) >> 3] >> UInt8((bit + k) & 7)) & 1) << k }
            bit += n
            return value
        }
        /// One Huffman code, read most significant bit first.
        func code(_ n: Int) -> Int { (0..<n).reduce(0) { acc, _ in acc << 1 | bits(1) } }
        // RFC 1951's tables, as the encoder holds them (Pillow checks the encoder independently: PNGTests).
        let (lengthBases, lengthExtra) = (Deflate.lengthBases, Deflate.lengthExtraBits)
        let (distanceBases, distanceExtra) = (Deflate.distanceBases, Deflate.distanceExtraBits)
        var last = false
        while !last {
            last = bits(1) == 1
            switch bits(2) {
            case 0:
                bit = (bit + 7) & ~7
                let count = bits(16)
                _ = bits(16)
                out += input[(bit >> 3)..<((bit >> 3) + count)]
                bit += 8 * count
            case 1:
                while true {
                    // The fixed literal/length code: 7, 8 or 9 bits.
                    var symbol = code(7)
                    if symbol <= 0x17 { symbol += 256 } else {
                        symbol = symbol << 1 | bits(1)
                        if symbol >= 0x30 && symbol <= 0xBF { symbol -= 0x30 } else if symbol >= 0xC0 && symbol <= 0xC7 { symbol += 280 - 0xC0 } else {
                            symbol = (symbol << 1 | bits(1)) - 0x190 + 144
                        }
                    }
                    if symbol < 256 { out.append(UInt8(symbol)); continue }
                    if symbol == 256 { break }
                    let length = lengthBases[symbol - 257] + bits(lengthExtra[symbol - 257])
                    let d = code(5)
                    let distance = distanceBases[d] + bits(distanceExtra[d])
                    for _ in 0..<length { out.append(out[out.count - distance]) }
                }
            default: throw UnsupportedDeflate()
            }
        }
        return out
    }

    /// Variance of the pixel values inside a rectangle.
    static func variance(_ shot: (width: Int, height: Int, pixels: [UInt8]), x: Int, y: Int, size: Int) -> Double {
        var values: [Double] = []
        for row in y..<(y + size) { for column in x..<(x + size) { for c in 0..<3 { values.append(Double(shot.pixels[(row * shot.width + column) * 3 + c])) } } }
        let mean = values.reduce(0, +) / Double(values.count)
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    }

    @Test(arguments: ["CartPole-v1", "PixelCatch"])
    func aRandomPolicysWindowShowsTheComposedPicture(_ env: String) throws {
        let shot = try Self.screenshot(["--random", env, "--frames", "25", "--seed", "3"])
        let viewer = try Viewer(environment: try Registry.make(env), policy: nil, seed: 3)
        for _ in 0..<25 { try viewer.step() }
        let expected = try viewer.picture()
        #expect(shot.width == expected.width && shot.height == expected.height)
        // Counted, not compared as arrays: a failing comparison of 600k bytes would take minutes to print.
        let differing = shot.pixels.indices.filter { shot.pixels[$0] != expected.pixels[$0] }
        #expect(differing.count == 0, "\(differing.count) bytes of the window differ from the composed picture, first at \(differing.first ?? -1)")
        let (x, y, size) = viewer.layout.panel(0)
        #expect(Self.variance(shot, x: x, y: y, size: size) > 100, "the env panel is blank")
    }

    /// A world-model agent's run folder (tiny, untrained: the run ends
    /// before replay is full enough to learn) plays in the window with three
    /// panels — real, reconstruction, dream — exactly as composed in-process.
    @Test func aWorldModelAgentsWindowShowsRealReconstructedAndDreamedPanels() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("view-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = TrainConfig()
        (config.env, config.algorithm, config.numEnvs, config.totalSteps) = ("PixelCatch", "dreamer", 2, 128)
        (config.checkpointEvery, config.evalEpisodes, config.dreamer.replayCapacity) = (0, 1, 1024)
        config.dreamer.worldModel.backbone = BackboneConfig(kind: .gru, width: 16, layers: 1, stateSize: 4)
        (config.dreamer.worldModel.latentGroups, config.dreamer.worldModel.latentClasses) = (4, 4)
        (config.dreamer.worldModel.units, config.dreamer.worldModel.layers, config.dreamer.worldModel.cnnDepth) = (16, 1, 4)
        (config.dreamer.actorCriticHidden, config.dreamer.prefill, config.dreamer.iterationSteps) = ([16], 1000, 64)
        try Trainer(config: config, runDirectory: dir).run()

        let shot = try Self.screenshot([dir.path, "--frames", "12", "--seed", "3"])
        let saved = try SavedPolicy(contentsOf: dir)
        let viewer = try Viewer(environment: saved.normalization.evaluation(try Registry.make(saved.config.env)), policy: saved.policy, seed: 3)
        // As the window's loop: a picture, then a step and a picture per frame.
        var expected = try viewer.picture()
        for _ in 0..<12 {
            try viewer.step()
            expected = try viewer.picture()
        }
        #expect(viewer.layout.panelCount == 3)
        #expect(shot.width == expected.width && shot.height == expected.height)
        let differing = shot.pixels.indices.filter { shot.pixels[$0] != expected.pixels[$0] }
        #expect(differing.count == 0, "\(differing.count) bytes of the window differ from the composed picture, first at \(differing.first ?? -1)")
        let (x, y, size) = viewer.layout.panel(0)
        #expect(Self.variance(shot, x: x, y: y, size: size) > 100, "the env panel is blank")
        // The model's panels are drawn (an untrained decoder's picture is faint, not empty).
        for k in 1...2 {
            let (x, y, size) = viewer.layout.panel(k)
            #expect(Self.variance(shot, x: x, y: y, size: size) > 0.1, "panel \(k) is blank")
        }
    }

    /// Run for wall time, the simulation has a thread of its own: it keeps
    /// the speed setting (480 steps/s here, ~30 CartPole episodes in 2 s)
    /// while the window draws at the display's rate, and the summary says so.
    @Test func forWallTimeTheSimulationKeepsItsSpeedWhileTheWindowDraws() throws {
        let (shot, message) = try Self.watch(["--random", "CartPole-v1", "--speed", "480", "--seconds", "2"])
        let numbers = message.split(separator: "\n").first { $0.hasPrefix("watched ") }?
            .split(whereSeparator: { !"0123456789.".contains($0) }).compactMap { Double($0) } ?? []
        try #require(numbers.count == 5, "no summary line in: \(message)")
        let (steps, episodes, framesPerSecond) = (numbers[0], numbers[1], numbers[4])
        // Generous bounds: a loaded 2-core machine must still pass, a stalled simulation or display must not.
        #expect(steps >= 400 && steps <= 1100, "\(steps) steps in 2 s at 480 steps/s")
        #expect(episodes >= 5, "\(episodes) random CartPole episodes in \(steps) steps")
        #expect(framesPerSecond >= 20, "\(framesPerSecond) frames/s")
        let viewer = try Viewer(environment: try Registry.make("CartPole-v1"), policy: nil, seed: 1)
        let (x, y, size) = viewer.layout.panel(0)
        #expect(Self.variance(shot, x: x, y: y, size: size) > 100, "the env panel is blank")
    }
}
