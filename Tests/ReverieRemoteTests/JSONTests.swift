import Foundation
import Testing
@testable import ReverieRemote

/// The header codec against Foundation's JSONSerialization as an independent
/// reference, plus the strictness the protocol relies on.
struct JSONTests {
    @Test func parsesWhatFoundationWritesAndBack() throws {
        let object: [String: Any] = [
            "v": 1, "cmd": "step", "seq": 123_456_789_012, "neg": -7, "pi": 3.25, "tiny": 1e-7, "big": 1.5e300,
            "name": "tab\there \"quoted\" back\\slash / é ✓ 😀 \u{01}", "flags": [true, false], "none": NSNull(),
            "arrays": [["name": "actions", "dtype": "int64", "shape": [8, 2]]], "empty": [:] as [String: Any], "list": [] as [Any],
        ]
        let foundation = Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        let parsed = try JSON(parsing: foundation)
        #expect(parsed["seq"] == .int(123_456_789_012) && parsed["neg"] == .int(-7))
        #expect(parsed["pi"] == .double(3.25) && parsed["tiny"]?.double == 1e-7 && parsed["big"]?.double == 1.5e300)
        #expect(parsed["name"]?.string == object["name"] as? String)
        #expect(parsed["flags"] == [true, false] && parsed["none"] == .null)
        #expect(parsed["arrays"]?.array?.first?["shape"]?.ints == [8, 2])
        #expect(parsed["empty"] == .object([:]) && parsed["list"] == .array([]))
        // Our bytes read back by Foundation give the same object.
        let back = try JSONSerialization.jsonObject(with: Data(parsed.bytes)) as! NSDictionary
        #expect(back == (object as NSDictionary))
        #expect(try JSON(parsing: parsed.bytes) == parsed)
    }

    @Test func escapesAndSurrogatePairs() throws {
        #expect(try JSON(parsing: #""\u00e9\u2713\ud83d\ude00\n\/""#) == .string("é✓😀\n/"))
        #expect(JSON.string("a\u{0}b\u{1f}").description == #""a\u0000b\u001f""#)
        #expect(JSON.string("\"\\").description == #""\"\\""#)
    }

    @Test func integersAndOtherNumbersStayApart() throws {
        #expect(try JSON(parsing: "1") == .int(1))
        #expect(try JSON(parsing: "1.0") == .double(1))
        #expect(try JSON(parsing: "-0") == .int(0))
        #expect(try JSON(parsing: "2e3") == .double(2000))
        #expect(try JSON(parsing: "99999999999999999999") == .double(1e20))
        #expect(try JSON(parsing: "1.0").int == nil)
        #expect(JSON.double(0.1).description == "0.1")
    }

    @Test(arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul",
        "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\ud800\\u0041\"", "\"a\u{1}b\"", "1 2", "[1] x", "NaN", "Infinity",
        "{\"a\":1,\"a\":2}", "1e400",
    ])
    func rejectsMalformedInput(text: String) {
        #expect(throws: ProtocolError.self) { try JSON(parsing: text) }
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(throws: ProtocolError.self) { try JSON(parsing: [0x22, 0xFF, 0xFE, 0x22]) }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: ProtocolError.self) { try JSON(parsing: deep) }
        let fine = String(repeating: "[", count: JSON.maxDepth) + String(repeating: "]", count: JSON.maxDepth)
        #expect((try? JSON(parsing: fine)) != nil)
    }

    /// Objects keep their members' order (parsed and written back byte for
    /// byte); equality ignores it, as JSON's does.
    @Test func objectsKeepTheirOrderAndCompareWithoutIt() throws {
        let text = #"{"seq":7,"cmd":"step","v":1,"arrays":[{"name":"a","dtype":"int64","shape":[2]}]}"#
        let parsed = try JSON(parsing: text)
        #expect(parsed.description == text)
        #expect(parsed.object?.keys == ["seq", "cmd", "v", "arrays"])
        #expect(parsed == ["v": 1, "cmd": "step", "arrays": [["shape": [2], "dtype": "int64", "name": "a"]], "seq": 7])
        #expect(parsed != ["v": 1, "cmd": "step", "seq": 7])
        var object = try #require(parsed.object)
        object["cmd"] = nil
        object["seed"] = 3
        #expect(JSON.object(object).description == #"{"seq":7,"v":1,"arrays":[{"name":"a","dtype":"int64","shape":[2]}],"seed":3}"#)
    }

    /// A duplicate key is an error however many members come first (large
    /// objects switch from a linear search to a set).
    @Test func duplicateKeysAreFoundInLargeObjects() throws {
        let members = (0..<40).map { #""k\#($0)":\#($0)"# }
        #expect((try? JSON(parsing: "{" + members.joined(separator: ",") + "}"))?.object?.count == 40)
        for duplicate in ["k3", "k39"] {
            #expect(throws: ProtocolError.self) { try JSON(parsing: "{" + members.joined(separator: ",") + #","\#(duplicate)":0}"#) }
        }
    }

    /// Integers at the edges of Int, and of the digit-by-digit fast path (18 digits).
    @Test func integersRoundTripAtTheirLimits() throws {
        for i in [0, -1, 9, -10, 999_999_999_999_999_999, -999_999_999_999_999_999, 1_000_000_000_000_000_000, Int.max, Int.min] {
            #expect(JSON.int(i).description == String(i))
            #expect(try JSON(parsing: String(i)) == .int(i))
        }
    }

    @Test func randomBytesNeverCrashTheParser() {
        var rng = RandomGenerator(seed: 11)
        let alphabet = Array("{}[]\",:0123456789.eE+-tfnrul\\ \"abc".utf8)
        var parsed = 0
        for _ in 0..<20_000 {
            let bytes = (0..<rng.int(below: 24)).map { _ in alphabet[rng.int(below: alphabet.count)] }
            if (try? JSON(parsing: bytes)) != nil { parsed += 1 }
        }
        // Some random inputs are valid JSON (numbers, empty containers); most are not.
        #expect(parsed > 0 && parsed < 20_000)
    }
}
