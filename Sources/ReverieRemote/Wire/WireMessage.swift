@_exported import ReverieEnvs

/// A request or reply: a JSON header and array frames (envs/PROTOCOL.md).
public struct WireMessage {
    public static let version = 2
    public static let maxHeaderBytes = 65_536

    public var header: JSONObject
    public var arrays: [WireArray]

    public init(header: JSONObject, arrays: [WireArray] = []) {
        self.header = header
        self.arrays = arrays
    }

    /// The array called `name`, or a protocol error naming it.
    public func array(_ name: String) throws -> WireArray {
        guard let a = arrays.first(where: { $0.name == name }) else { throw ProtocolError("missing array '\(name)'") }
        return a
    }

    /// Header then array frames, with the `arrays` descriptors filled in.
    ///
    /// The descriptors are written straight into the header's bytes (they are
    /// the same every step, and building them as JSON values first cost more
    /// than the rest of a step's encoding).
    public func frames() -> [[UInt8]] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 + 64 * arrays.count)
        var header = self.header
        header["arrays"] = nil
        JSON.object(header).write(into: &bytes)
        if !arrays.isEmpty {
            bytes.removeLast()  // the closing brace
            if !header.isEmpty { bytes.append(UInt8(ascii: ",")) }
            bytes += #""arrays":["#.utf8
            for (i, array) in arrays.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes += #"{"name":"#.utf8
                JSON.string(array.name).write(into: &bytes)
                bytes += #","dtype":""#.utf8
                bytes += array.dtype.rawValue.utf8
                bytes += #"","shape":"#.utf8
                JSON(array.shape).write(into: &bytes)
                bytes.append(UInt8(ascii: "}"))
            }
            bytes += "]}".utf8
        }
        var frames = [bytes]
        frames.reserveCapacity(1 + arrays.count)
        for array in arrays { frames.append(array.bytes) }
        return frames
    }

    /// Parses frames, checking every rule of the header and its descriptors.
    public init(frames: [[UInt8]]) throws {
        var span: Range<Int>?
        try self.init(frames: frames, seqSpan: &span)
    }

    /// As `init(frames:)`, also giving where the header's top-level `seq` value lies in its bytes.
    init(frames: [[UInt8]], seqSpan: inout Range<Int>?) throws {
        guard let first = frames.first else { throw ProtocolError("empty message") }
        guard first.count <= Self.maxHeaderBytes else {
            throw ProtocolError("header of \(first.count) bytes exceeds \(Self.maxHeaderBytes)")
        }
        let parsed = try JSON.parse(first, recording: "seq")
        guard case .object(let header) = parsed.value else { throw ProtocolError("header is not a JSON object") }
        seqSpan = parsed.span
        let descriptors: [JSON]
        switch header["arrays"] {
        case nil: descriptors = []
        case .array(let list)?: descriptors = list
        default: throw ProtocolError("'arrays' must be a list")
        }
        guard descriptors.count == frames.count - 1 else {
            throw ProtocolError("header describes \(descriptors.count) arrays but \(frames.count - 1) array frames follow")
        }
        var arrays: [WireArray] = []
        arrays.reserveCapacity(descriptors.count)
        for (descriptor, bytes) in zip(descriptors, frames.dropFirst()) {
            guard let name = descriptor["name"]?.string, let dtypeName = descriptor["dtype"]?.string,
                  let shape = descriptor["shape"]?.ints
            else { throw ProtocolError("array descriptor must be {\"name\", \"dtype\", \"shape\"}, got \(descriptor)") }
            guard let dtype = WireArray.DType(rawValue: dtypeName) else {
                throw ProtocolError("array '\(name)': unknown dtype '\(dtypeName)'")
            }
            guard shape.allSatisfy({ $0 >= 0 }), shape.count <= 8 else { throw ProtocolError("array '\(name)': bad shape \(shape)") }
            // Every size from the wire is checked: the byte count too can overflow (2^61 int64s).
            let byteCount = shape.reduce(Optional(dtype.size)) { count, n in
                count.flatMap { let (p, overflow) = $0.multipliedReportingOverflow(by: n); return overflow ? nil : p }
            }
            guard byteCount == bytes.count else {
                throw ProtocolError("array '\(name)': shape \(shape) of \(dtype.rawValue) needs \(byteCount.map(String.init) ?? "more than 2^63") bytes, frame has \(bytes.count)")
            }
            arrays.append(WireArray(name: name, dtype: dtype, shape: shape, bytes: bytes))
        }
        self.init(header: header, arrays: arrays)
    }

    public var sequence: Int? { header["seq"]?.int }

    /// 16 random hex digits: a client's `client` id, a server's instance id.
    static func randomIdentifier() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = String(generator.next(), radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The `seq` of a request that may be malformed elsewhere (its arrays, its
    /// size, its command): an error reply carries it whenever it can be read.
    public static func readableSequence(of frames: [[UInt8]]) -> Int? {
        guard let first = frames.first, first.count <= maxHeaderBytes,
              case .object(let header)? = try? JSON.parse(first, recording: nil).value,
              let seq = header["seq"]?.int, seq >= 0 else { return nil }
        return seq
    }
}

/// A message that breaks envs/PROTOCOL.md, or an error reply from the peer.
public struct ProtocolError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
