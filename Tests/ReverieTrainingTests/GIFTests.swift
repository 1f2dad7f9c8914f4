import Foundation
import Testing
import ReverieEnvs
@testable import ReverieTraining

@Suite struct GIFTests {
    /// The 6×7×6 cube colour a pixel is drawn with.
    static func quantized(_ v: UInt8, levels: Int) -> UInt8 {
        UInt8(((Int(v) * (levels - 1) + 127) / 255) * 255 / (levels - 1))
    }

    /// Frames that exercise LZW's code widths and table resets (noise), long
    /// runs (flat) and gradients come back from Pillow pixel for pixel.
    @Test func pillowDecodesEveryFrameAsWritten() throws {
        let (w, h) = (97, 61)
        var rng = RandomGenerator(seed: 3)
        let noise = Frame(width: w, height: h, pixels: (0..<(w * h * 3)).map { _ in UInt8(rng.int(below: 256)) })
        let flat = Frame(width: w, height: h, pixels: Array(repeating: 200, count: w * h * 3))
        var ramp: [UInt8] = []
        for i in 0..<(w * h) {
            let (x, y) = (i % w, i / w)
            ramp += [UInt8(x * 255 / (w - 1)), UInt8(y * 255 / (h - 1)), UInt8(i * 7 % 256)]
        }
        let gradient = Frame(width: w, height: h, pixels: ramp)
        var gif = GIFWriter(width: w, height: h, framesPerSecond: 25)
        let frames = [noise, flat, gradient, noise]
        for f in frames { gif.add(f) }
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("test.gif")
        try gif.write(to: url)

        let object = try JSONSerialization.jsonObject(with: Data(PythonTool.run("read_gif.py", [url.path]).utf8)) as! [String: Any]
        #expect(object["width"] as? Int == w && object["height"] as? Int == h)
        #expect(object["duration_ms"] as? Int == 40)
        #expect(object["loop"] as? Int == 0)
        let decoded = object["frames"] as! [String]
        #expect(decoded.count == frames.count)
        for (k, (hex, frame)) in zip(decoded, frames).enumerated() {
            let expected = frame.pixels.enumerated().map { i, v in Self.quantized(v, levels: i % 3 == 1 ? 7 : 6) }
            let same = hex == expected.map { String(format: "%02x", $0) }.joined()
            #expect(same, "frame \(k) decodes differently")
        }
    }
}
