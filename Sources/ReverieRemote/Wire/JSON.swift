/// A JSON value (RFC 8259), as protocol headers carry them, with a strict
/// parser and a compact serializer written for the per-step hot path:
/// Foundation's `JSONSerialization` on Linux costs more per header than the
/// whole ZeroMQ round trip it rides on.
///
/// Integers and other numbers are kept apart (`1` is `.int`, `1.0` and `1e3`
/// are `.double`) so that a field like `seq` can demand an integer.
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    /// Deepest nesting the parser accepts; deeper input is an error, not a stack overflow.
    public static let maxDepth = 64

    // MARK: Reading values

    /// The member `key` of an object; nil for a missing key or a non-object.
    public subscript(key: String) -> JSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var int: Int? {
        if case .int(let i) = self { return i }
        return nil
    }

    /// The number, integer or not.
    public var double: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var array: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var object: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The elements, if this is an array of integers.
    public var ints: [Int]? {
        guard let array else { return nil }
        var result: [Int] = []
        result.reserveCapacity(array.count)
        for element in array {
            guard let i = element.int else { return nil }
            result.append(i)
        }
        return result
    }

    // MARK: Serializing

    /// Compact UTF-8 JSON, object members in their order (equal objects built
    /// the same way give equal bytes). Non-finite doubles have no JSON form:
    /// encode them some other way first.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(into: &out)
        return out
    }

    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .int(let i): Self.writeInteger(i, into: &out)
        case .double(let d):
            precondition(d.isFinite, "JSON has no form for \(d)")
            // Swift prints the shortest digits that read back to the same Double.
            out += d.description.utf8
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, e) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                e.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Decimal digits without building a String.
    private static func writeInteger(_ i: Int, into out: inout [UInt8]) {
        if i < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = i.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            // Most strings need no escape: copy them whole.
            if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                out.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): out += #"\""#.utf8
                case UInt8(ascii: "\\"): out += #"\\"#.utf8
                case 0x0A: out += #"\n"#.utf8
                case 0x0D: out += #"\r"#.utf8
                case 0x09: out += #"\t"#.utf8
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    out += #"\u00"#.utf8
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 0xF)])
                default: out.append(byte)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    // MARK: Parsing

    /// Parses exactly one JSON value (surrounding whitespace allowed).
    /// - Throws: `ProtocolError` naming the byte offset of the first problem.
    public init(parsing bytes: [UInt8]) throws {
        self = try Self.parse(bytes, recording: nil).value
    }

    /// Parses `bytes` as `init(parsing:)` does, and also gives where the value
    /// of the top-level member `key` lies in them, if there is one.
    static func parse(_ bytes: [UInt8], recording key: String?) throws -> (value: JSON, span: Range<Int>?) {
        try bytes.withUnsafeBufferPointer { buffer in
            var parser = Parser(input: buffer, recordedKey: key)
            parser.skipWhitespace()
            let value = try parser.value(depth: 0)
            parser.skipWhitespace()
            guard parser.position == buffer.count else { throw parser.error("unexpected data after the value") }
            return (value, parser.recordedSpan)
        }
    }

    public init(parsing text: String) throws { try self.init(parsing: Array(text.utf8)) }

    private struct Parser {
        let input: UnsafeBufferPointer<UInt8>
        /// A top-level member whose value's byte range to note in `recordedSpan`.
        let recordedKey: String?
        var recordedSpan: Range<Int>?
        var position = 0

        func error(_ message: String) -> ProtocolError {
            ProtocolError("invalid JSON at byte \(position): \(message)")
        }

        var current: UInt8? { position < input.count ? input[position] : nil }

        mutating func skipWhitespace() {
            while let c = current, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { position += 1 }
        }

        mutating func expect(_ literal: StaticString) throws {
            let expected = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
            guard position + expected.count <= input.count,
                  expected.indices.allSatisfy({ input[position + $0] == expected[$0] })
            else { throw error("expected '\(literal)'") }
            position += expected.count
        }

        mutating func value(depth: Int) throws -> JSON {
            guard depth < JSON.maxDepth else { throw error("nested deeper than \(JSON.maxDepth)") }
            guard let c = current else { throw error("unexpected end of input") }
            switch c {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw error("unexpected character '\(UnicodeScalar(c))'")
            }
        }

        mutating func object(depth: Int) throws -> JSON {
            position += 1
            var members = JSONObject()
            members.reserveCapacity(8)
            // Duplicates are found by a linear search in small objects, by a set in large ones.
            var seen: Set<String>?
            skipWhitespace()
            if current == UInt8(ascii: "}") { position += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let key = try string()
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
                position += 1
                skipWhitespace()
                let duplicate: Bool
                if members.count < 16 {
                    duplicate = members[key] != nil
                } else {
                    if seen == nil { seen = Set(members.keys) }
                    duplicate = !seen!.insert(key).inserted
                }
                guard !duplicate else { throw error("duplicate key '\(key)'") }
                let start = position
                members.appendNew(key, try value(depth: depth + 1))
                if depth == 0, key == recordedKey { recordedSpan = start..<position }
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "}"): position += 1; return .object(members)
                default: throw error("expected ',' or '}'")
                }
            }
        }

        mutating func array(depth: Int) throws -> JSON {
            position += 1
            var elements: [JSON] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") { position += 1; return .array(elements) }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth + 1))
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "]"): position += 1; return .array(elements)
                default: throw error("expected ',' or ']'")
                }
            }
        }

        mutating func string() throws -> String {
            position += 1
            let start = position
            // Fast path: no escapes (and, faster still, plain ASCII, which needs no validating).
            var ascii = true
            while let c = current, c != UInt8(ascii: "\""), c != UInt8(ascii: "\\"), c >= 0x20 {
                ascii = ascii && c < 0x80
                position += 1
            }
            if current == UInt8(ascii: "\"") {
                let raw = UnsafeBufferPointer(start: input.baseAddress! + start, count: position - start)
                position += 1
                if ascii { return String(decoding: raw, as: UTF8.self) }
                guard let s = String(validating: raw, as: UTF8.self) else { throw error("string is not valid UTF-8") }
                return s
            }
            var utf8 = Array(input[start..<position])
            while true {
                guard let c = current else { throw error("unterminated string") }
                switch c {
                case UInt8(ascii: "\""):
                    position += 1
                    guard let s = String(validating: utf8, as: UTF8.self) else { throw error("string is not valid UTF-8") }
                    return s
                case UInt8(ascii: "\\"):
                    position += 1
                    guard let e = current else { throw error("unterminated escape") }
                    position += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
                    case UInt8(ascii: "b"): utf8.append(0x08)
                    case UInt8(ascii: "f"): utf8.append(0x0C)
                    case UInt8(ascii: "n"): utf8.append(0x0A)
                    case UInt8(ascii: "r"): utf8.append(0x0D)
                    case UInt8(ascii: "t"): utf8.append(0x09)
                    case UInt8(ascii: "u"): utf8 += try unicodeEscape().utf8
                    default: throw error("invalid escape '\\\(UnicodeScalar(e))'")
                    }
                case 0..<0x20:
                    throw error("control character in string")
                default:
                    utf8.append(c)
                    position += 1
                }
            }
        }

        /// After `\u`: four hex digits, or a surrogate pair `\uD83D\uDE00`.
        mutating func unicodeEscape() throws -> String {
            let high = try hex4()
            var scalarValue = UInt32(high)
            if (0xD800..<0xDC00).contains(high) {
                try expect("\\u")
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                scalarValue = 0x10000 + ((UInt32(high) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(scalarValue) else { throw error("unpaired surrogate") }
            return String(Character(scalar))
        }

        mutating func hex4() throws -> UInt16 {
            var value: UInt16 = 0
            for _ in 0..<4 {
                guard let c = current else { throw error("unterminated \\u escape") }
                let digit: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
                default: throw error("invalid hex digit in \\u escape")
                }
                value = value << 4 | UInt16(digit)
                position += 1
            }
            return value
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
        mutating func number() throws -> JSON {
            let start = position
            if current == UInt8(ascii: "-") { position += 1 }
            func digits() -> Int {
                let from = position
                while let c = current, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { position += 1 }
                return position - from
            }
            let leadingZero = current == UInt8(ascii: "0")
            let integerDigits = digits()
            guard integerDigits > 0 else { throw error("expected digits") }
            guard !(leadingZero && integerDigits > 1) else { throw error("leading zero in a number") }
            var isInteger = true
            if current == UInt8(ascii: ".") {
                position += 1
                isInteger = false
                guard digits() > 0 else { throw error("expected digits after '.'") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                position += 1
                isInteger = false
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
                guard digits() > 0 else { throw error("expected digits in the exponent") }
            }
            let digitsStart = start + (input[start] == UInt8(ascii: "-") ? 1 : 0)
            if isInteger, position - digitsStart <= 18 {
                // Up to 18 digits cannot overflow an Int.
                var magnitude = 0
                for k in digitsStart..<position { magnitude = magnitude * 10 + Int(input[k] - UInt8(ascii: "0")) }
                return .int(digitsStart == start ? magnitude : -magnitude)
            }
            let text = String(decoding: UnsafeBufferPointer(start: input.baseAddress! + start, count: position - start), as: UTF8.self)
            if isInteger, let i = Int(text) { return .int(i) }
            // Integers beyond Int's range, fractions and exponents.
            guard let d = Double(text), d.isFinite else { throw error("number '\(text)' is out of range") }
            return .double(d)
        }
    }
}

extension JSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(JSONObject(elements)) }
}

extension JSON: CustomStringConvertible {
    public var description: String { String(decoding: bytes, as: UTF8.self) }
}

extension JSON {
    /// `[1, 2]` → `.array([.int(1), .int(2)])`.
    public init(_ ints: [Int]) { self = .array(ints.map(JSON.int)) }
}
