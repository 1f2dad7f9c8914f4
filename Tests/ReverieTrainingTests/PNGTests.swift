import Foundation
import Testing
import ReverieEnvs
@testable import ReverieTraining

@Suite struct PNGTests {
    @Test func crcAndAdlerMatchTheirStandardCheckValues() {
        #expect(PNGWriter.crc32(Data("123456789".utf8)) == 0xCBF4_3926)
        #expect(PNGWriter.adler32(Data("Wikipedia".utf8)) == 0x11E6_0398)
    }

    /// Pillow (zlib underneath) decodes what we write byte for byte: noise
    /// (literals only), and a chart-like picture of long runs, stripes and
    /// repeats at every distance, which must also come out much smaller than its pixels.
    @Test(arguments: ["noise", "chart"])
    func pillowDecodesTheImageAsWritten(picture: String) throws {
        let (w, h) = picture == "noise" ? (151, 173) : (640, 400)
        var rng = RandomGenerator(seed: 5)
        let pixels: [UInt8] = picture == "noise"
            ? (0..<(w * h * 3)).map { _ in UInt8(rng.int(below: 256)) }
            : (0..<(w * h)).flatMap { i -> [UInt8] in
                let (x, y) = (i % w, i / w)
                if y % 37 == 0 || x % 53 == 0 { return [225, 225, 225] }                  // grid lines
                if abs(y - 200 - Int(80 * sin(Double(x) / 40))) <= 1 { return [31, 119, 180] }  // a curve
                if x > 500 && y < 40 { return [UInt8(x % 256), UInt8(y * 6), 7] }        // a gradient
                return rng.int(below: 500) == 0 ? [0, 0, 0] : [255, 255, 255]           // specks on white
            }
        let frame = Frame(width: w, height: h, pixels: pixels)
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("shot.png")
        try PNGWriter.write(frame, to: url)
        let object = try JSONSerialization.jsonObject(with: Data(PythonTool.run("read_png.py", [url.path]).utf8)) as! [String: Any]
        #expect(object["width"] as? Int == w && object["height"] as? Int == h && object["mode"] as? String == "RGB")
        #expect(object["pixels"] as? String == frame.pixels.map { String(format: "%02x", $0) }.joined())
        if picture == "chart" {
            let size = try Data(contentsOf: url).count
            #expect(size * 10 < w * h * 3, "\(size) bytes for \(w * h * 3) bytes of pixels")
        }
    }
}
