import Foundation

/// Writes scalars as a TensorBoard event file (`events.out.tfevents.*`), so
/// `tensorboard --logdir runs` plots a run like any PyTorch or TF one.
///
/// The file is a TFRecord stream of `tensorflow.Event` protocol buffers:
/// each record is `length (u64 LE) · masked CRC32C(length) · data ·
/// masked CRC32C(data)`; the first event carries `file_version =
/// "brain.Event:2"`, the others a `Summary` with one `simple_value` per tag.
/// The few protobuf fields needed are encoded by hand (event.proto, summary.proto).
public final class TensorBoardWriter {
    public let url: URL
    private let handle: FileHandle

    /// Creates `directory/events.out.tfevents.<unix time>.<host>`.
    /// - Parameter resumingAt: the step a resumed run continues from. The file
    ///   starts with a `SessionLog` START event just past that step, which makes
    ///   TensorBoard drop the earlier files' events logged after it (what
    ///   PyTorch's `SummaryWriter(purge_step:)` writes), so a resumed run's
    ///   curves do not double back.
    public init(directory: URL, resumingAt purgeStep: Int? = nil) throws {
        let time = Date().timeIntervalSince1970
        url = directory.appendingPathComponent("events.out.tfevents.\(Int(time)).\(ProcessInfo.processInfo.hostName)")
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
        var event = Protobuf()
        event.double(field: 1, time)
        event.int(field: 2, 0)
        event.bytes(field: 3, Array("brain.Event:2".utf8))
        try write(record: event.bytes)
        if let purgeStep {
            // event.proto: session_log = 7; SessionLog.status = 1, START = 1.
            var sessionLog = Protobuf()
            sessionLog.int(field: 1, 1)
            var start = Protobuf()
            start.double(field: 1, time)
            // TensorBoard drops events at steps ≥ this one.
            start.int(field: 2, purgeStep + 1)
            start.bytes(field: 7, sessionLog.bytes)
            try write(record: start.bytes)
        }
    }

    /// Appends one event holding `scalars` (tag → value) at `step`.
    public func add(_ scalars: [(tag: String, value: Float)], step: Int, wallTime: Double = Date().timeIntervalSince1970) throws {
        var summary = Protobuf()
        for (tag, value) in scalars {
            var v = Protobuf()
            v.bytes(field: 1, Array(tag.utf8))
            v.float(field: 2, value)
            summary.bytes(field: 1, v.bytes)
        }
        var event = Protobuf()
        event.double(field: 1, wallTime)
        event.int(field: 2, step)
        event.bytes(field: 5, summary.bytes)
        try write(record: event.bytes)
    }

    /// Pushes buffered events to disk.
    /// Appends one event holding `text` under `tag` for TensorBoard's Text
    /// tab (its `text` plugin renders Markdown): a scalar string tensor.
    public func addText(tag: String, _ text: String, step: Int, wallTime: Double = Date().timeIntervalSince1970) throws {
        var pluginData = Protobuf(), metadata = Protobuf(), tensor = Protobuf(), value = Protobuf()
        pluginData.bytes(field: 1, Array("text".utf8))       // PluginData.plugin_name
        metadata.bytes(field: 1, pluginData.bytes)          // SummaryMetadata.plugin_data
        tensor.int(field: 1, 7)                             // TensorProto.dtype = DT_STRING
        tensor.bytes(field: 2, [])                          // tensor_shape: a scalar
        tensor.bytes(field: 8, Array(text.utf8))            // string_val
        value.bytes(field: 1, Array(tag.utf8))              // Summary.Value.tag
        value.bytes(field: 9, metadata.bytes)               // metadata
        value.bytes(field: 8, tensor.bytes)                 // tensor
        var summary = Protobuf(), event = Protobuf()
        summary.bytes(field: 1, value.bytes)
        event.double(field: 1, wallTime)
        event.int(field: 2, step)
        event.bytes(field: 5, summary.bytes)
        try write(record: event.bytes)
    }

    public func flush() throws { try handle.synchronize() }

    public func close() throws { try handle.close() }

    private func write(record data: [UInt8]) throws {
        var length = withUnsafeBytes(of: UInt64(data.count).littleEndian, Array.init)
        length += withUnsafeBytes(of: maskedCRC32C(length).littleEndian, Array.init)
        try handle.write(contentsOf: length + data + withUnsafeBytes(of: maskedCRC32C(data).littleEndian, Array.init))
    }
}

/// The protocol-buffer wire format for the field types event files use.
struct Protobuf {
    private(set) var bytes: [UInt8] = []

    private mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 { bytes.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    private mutating func tag(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    mutating func int(field: Int, _ value: Int) { tag(field, 0); varint(UInt64(bitPattern: Int64(value))) }
    mutating func double(field: Int, _ value: Double) {
        tag(field, 1)
        bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
    }
    mutating func float(field: Int, _ value: Float) {
        tag(field, 5)
        bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
    }
    mutating func bytes(field: Int, _ value: [UInt8]) {
        tag(field, 2)
        varint(UInt64(value.count))
        bytes += value
    }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), masked as TFRecord
/// does so a CRC of data containing CRCs stays well distributed.
func maskedCRC32C(_ data: [UInt8]) -> UInt32 {
    let crc = crc32c(data)
    return ((crc >> 15) | (crc << 17)) &+ 0xa282_ead8
}

/// CRC-32C of `data` (RFC 3720 appendix B.4).
func crc32c(_ data: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xffff_ffff
    for byte in data { crc = crc32cTable[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
    return ~crc
}

private let crc32cTable: [UInt32] = (0..<256).map { i in
    var c = UInt32(i)
    for _ in 0..<8 { c = c & 1 != 0 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
    return c
}
