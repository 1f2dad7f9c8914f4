import Foundation
import Testing
@testable import ReverieTraining

@Suite struct TensorBoardTests {
    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(crc32c(Array("123456789".utf8)) == 0xE306_9283)  // RFC 3720 B.4
    }

    /// Every scalar written comes back from TensorBoard's own reader, in order
    /// (its loader stops silently at a bad record, so the whole list is compared).
    @Test func tensorBoardsReaderReadsBackEveryScalar() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try TensorBoardWriter(directory: dir)
        var expected: [(step: Int, tag: String, value: Float)] = []
        for step in stride(from: 0, through: 5000, by: 250) {
            let scalars: [(tag: String, value: Float)] = [
                ("charts/episodic_return", Float(step) * 0.1), ("losses/value_loss", 1 / Float(step + 1)),
                ("losses/approx_kl", -Float(step) * 1e-6),
            ]
            try writer.add(scalars, step: step)
            expected += scalars.map { (step, $0.tag, $0.value) }
        }
        try writer.close()
        let lines = try PythonTool.run("read_tensorboard.py", [writer.url.path]).split(separator: "\n")
        #expect(lines.count == expected.count)
        for (line, e) in zip(lines, expected) {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            #expect(object["step"] as? Int == e.step && object["tag"] as? String == e.tag)
            #expect(Float((object["value"] as! NSNumber).doubleValue) == e.value, "\(line)")
        }
    }
}
