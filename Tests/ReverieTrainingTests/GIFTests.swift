import Foundation
import Testing
import ReverieEnvs
@testable import ReverieTraining

@Suite struct GIFTests {
    /// The colour a pixel is drawn with: near-greys (channels at most 6
    /// apart) as the nearest of six greys, others as the nearest colour of
    /// the 6×7×6 cube.
    static func drawn(_ rgb: [UInt8]) -> [UInt8] {
        let c = rgb.map(Int.init)
        if c.max()! - c.min()! <= 6 {
            let mean = Double(c.reduce(0, +)) / 3
            return Array(repeating: UInt8((mean / 51).rounded() * 51), count: 3)
        }
        func level(_ v: Int, _ levels: Int) -> UInt8 { UInt8(((v * (levels - 1) + 127) / 255) * 255 / (levels - 1)) }
        return [level(c[0], 6), level(c[1], 7), level(c[2], 6)]
    }

    /// What a frame decodes to: itself where it has at most 256 colours (its
    /// own table), else each pixel as `drawn`.
    static func expected(_ frame: Frame) -> [UInt8] {
        let n = frame.width * frame.height
        let distinct = Set((0..<n).map { i in frame.pixels[(3 * i)..<(3 * i + 3)].reduce(0) { $0 << 8 | Int($1) } })
        if distinct.count <= 256 { return frame.pixels }
        return (0..<n).flatMap { i in drawn(Array(frame.pixels[(3 * i)..<(3 * i + 3)])) }
    }

    /// Frames that exercise LZW's code widths and table resets (noise), long
    /// runs (flat), gradients, and tables of every size (1, 2, 3, 256 and 257
    /// colours: the last is quantised) come back from Pillow pixel for pixel.
    @Test func pillowDecodesEveryFrameAsWritten() throws {
        let (w, h) = (97, 61)
        var rng = RandomGenerator(seed: 3)
        let noise = Frame(width: w, height: h, pixels: (0..<(w * h * 3)).map { _ in UInt8(rng.int(below: 256)) })
        let flat = Frame(width: w, height: h, pixels: Array(repeating: 200, count: w * h * 3))
        let grey = Frame(width: w, height: h, pixels: (0..<(w * h)).flatMap { i -> [UInt8] in
            let v = UInt8(i % 256), tint = UInt8(i % 5)
            return [v, v &+ (v < 250 ? tint : 0), v]
        })
        var ramp: [UInt8] = []
        for i in 0..<(w * h) {
            let (x, y) = (i % w, i / w)
            ramp += [UInt8(x * 255 / (w - 1)), UInt8(y * 255 / (h - 1)), UInt8(i * 7 % 256)]
        }
        let gradient = Frame(width: w, height: h, pixels: ramp)
        // A few colours no table of fixed levels holds.
        func coloured(_ count: Int) -> Frame {
            Frame(width: w, height: h, pixels: (0..<(w * h)).flatMap { i -> [UInt8] in
                let k = (i / 7) % count
                return [UInt8(13 + k % 200), UInt8(k % 256), UInt8(77 + (k / 256) * 50)]
            })
        }
        var gif = GIFWriter(width: w, height: h, framesPerSecond: 25)
        let frames = [noise, flat, gradient, grey, coloured(2), coloured(3), coloured(256), coloured(257), noise]
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
            let same = hex == Self.expected(frame).map { String(format: "%02x", $0) }.joined()
            #expect(same, "frame \(k) decodes differently")
        }
    }
}
