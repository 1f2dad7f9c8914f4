import Foundation
import Testing
import ReverieEnvs
@testable import ReverieTraining

@Suite struct PNGTests {
    @Test func crcAndAdlerMatchTheirStandardCheckValues() {
        #expect(PNGWriter.crc32(Data("123456789".utf8)) == 0xCBF4_3926)
        #expect(PNGWriter.adler32(Data("Wikipedia".utf8)) == 0x11E6_0398)
    }

    /// Noise larger than one stored deflate block (65,535 bytes) comes back
    /// from Pillow byte for byte.
    @Test func pillowDecodesTheImageAsWritten() throws {
        let (w, h) = (151, 173)
        var rng = RandomGenerator(seed: 5)
        let frame = Frame(width: w, height: h, pixels: (0..<(w * h * 3)).map { _ in UInt8(rng.int(below: 256)) })
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("shot.png")
        try PNGWriter.write(frame, to: url)
        let object = try JSONSerialization.jsonObject(with: Data(PythonTool.run("read_png.py", [url.path]).utf8)) as! [String: Any]
        #expect(object["width"] as? Int == w && object["height"] as? Int == h && object["mode"] as? String == "RGB")
        #expect(object["pixels"] as? String == frame.pixels.map { String(format: "%02x", $0) }.joined())
    }
}
