import Foundation

/// The safetensors file format (huggingface/safetensors), read and written
/// without dependencies:
///
///     u64 little-endian N | N bytes of JSON header | raw little-endian data
///
/// The header maps each tensor name to `{"dtype", "shape", "data_offsets":
/// [begin, end]}` (offsets into the data section) and may hold
/// `"__metadata__": {string: string}`. Reverie writes F32 (and U8 for
/// `ByteTensor`s), tensors in sorted name order, the header padded with
/// spaces to a multiple of 8 bytes as the reference writer does. Writes go to a temporary file that is synced and
/// renamed over the target, so a crash never leaves a half-written file.
public enum SafeTensors {
    /// Serialises `tensors` (F32), `bytes` (U8) and `metadata`; a name may
    /// appear in only one of the two.
    public static func encode(_ tensors: [String: Tensor], bytes: [String: ByteTensor] = [:],
                              metadata: [String: String] = [:]) throws -> [UInt8] {
        var out = [UInt8]()
        try serialize(tensors, bytes: bytes, metadata: metadata, reserve: { out.reserveCapacity($0) }) {
            out.append(contentsOf: $0)
            return true
        }
        return out
    }

    /// The file's bytes in order, handed to `sink` a piece at a time (the
    /// header, then each tensor's data as it lies in memory), so a large
    /// file is written without a copy of it. Stops when `sink` returns false.
    /// - Returns: whether `sink` took every piece.
    @discardableResult
    private static func serialize(_ tensors: [String: Tensor], bytes: [String: ByteTensor], metadata: [String: String],
                                  reserve: (Int) -> Void = { _ in },
                                  into sink: (UnsafeRawBufferPointer) -> Bool) throws -> Bool {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = Set(tensors.keys).union(bytes.keys).sorted()
        for name in names {
            precondition(tensors[name] == nil || bytes[name] == nil, "'\(name)' is both a tensor and a byte tensor")
            let (dtype, shape, size) = tensors[name].map { ("F32", $0.shape, 4 * $0.count) } ?? ("U8", bytes[name]!.shape, bytes[name]!.count)
            header[name] = ["dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]] as [String: Any]
            offset += size
        }
        var json = Array(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while json.count % 8 != 0 { json.append(0x20) }
        reserve(8 + json.count + offset)
        guard withUnsafeBytes(of: UInt64(json.count).littleEndian, sink), json.withUnsafeBytes(sink) else { return false }
        for name in names {
            let taken: Bool
            if let t = tensors[name] {
                taken = t.withUnsafeBufferPointer { p in
                    #if _endian(little)
                    return sink(UnsafeRawBufferPointer(p))
                    #else
                    return p.map { $0.bitPattern.littleEndian }.withUnsafeBytes(sink)
                    #endif
                }
            } else {
                taken = bytes[name]!.bytes.withUnsafeBytes(sink)
            }
            guard taken else { return false }
        }
        return true
    }

    /// Parses a safetensors file's bytes. F32 is read as is; F64, F16, BF16,
    /// I64, I32, I8, U8 and BOOL are converted to Float32.
    public static func decode(_ bytes: [UInt8]) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let contents = try decode(bytes, keepingU8: false)
        return (contents.tensors, contents.metadata)
    }

    /// Parses a safetensors file's bytes, keeping U8 tensors as bytes when
    /// `keepingU8` (every other dtype becomes Float32 as in `decode(_:)`).
    public static func decode(_ bytes: [UInt8], keepingU8: Bool) throws
        -> (tensors: [String: Tensor], bytes: [String: ByteTensor], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw CheckpointError.corrupt("file of \(bytes.count) bytes is shorter than its 8-byte header length") }
        let headerLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(bytes.count - 8), headerLength <= 100_000_000 else {
            throw CheckpointError.corrupt("header length \(headerLength) exceeds the file (\(bytes.count) bytes): truncated?")
        }
        let dataStart = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) as? [String: Any] else {
            throw CheckpointError.corrupt("header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: [String: Tensor] = [:], byteTensors: [String: ByteTensor] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw CheckpointError.corrupt("__metadata__ must map strings to strings") }
                metadata = m
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw CheckpointError.corrupt("entry '\(name)' lacks dtype, shape or data_offsets") }
            guard let size = elementSize[dtype] else { throw CheckpointError.unsupportedDType(name: name, dtype: dtype) }
            let count = shape.reduce(1, *)
            let (begin, end) = (offsets[0], offsets[1])
            guard shape.allSatisfy({ $0 >= 0 }), begin >= 0, end - begin == count * size, dataStart + end <= bytes.count else {
                throw CheckpointError.corrupt("tensor '\(name)' (\(dtype) \(shape)) has data offsets \(offsets) outside the file or of the wrong size")
            }
            if keepingU8 && dtype == "U8" {
                byteTensors[name] = ByteTensor(Array(bytes[(dataStart + begin)..<(dataStart + end)]), shape: shape)
                continue
            }
            tensors[name] = bytes.withUnsafeBytes { raw in
                Tensor(shape: shape) { out in convert(raw, from: dataStart + begin, dtype: dtype, into: out) }
            }
        }
        return (tensors, byteTensors, metadata)
    }

    /// Writes atomically: temporary file in the same folder, fsync, rename.
    public static func write(_ tensors: [String: Tensor], bytes byteTensors: [String: ByteTensor] = [:],
                             metadata: [String: String] = [:], to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CheckpointError.io("cannot create \(temporary.path): \(String(cString: strerror(errno)))") }
        var writeError = ""
        var ok: Bool
        do {
            ok = try serialize(tensors, bytes: byteTensors, metadata: metadata) { raw in
                var written = 0
                while written < raw.count {
                    let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                    if n <= 0 {
                        writeError = String(cString: strerror(errno))
                        return false
                    }
                    written += n
                }
                return true
            }
        } catch {
            close(fd)
            unlink(temporary.path)
            throw error
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary.path, url.path) == 0 else {
            let reason = writeError.isEmpty ? String(cString: strerror(errno)) : writeError
            unlink(temporary.path)
            throw CheckpointError.io("cannot write \(url.path): \(reason); any previous file there is unchanged")
        }
    }

    /// Reads and parses a file.
    public static func read(from url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let contents = try read(from: url, keepingU8: false)
        return (contents.tensors, contents.metadata)
    }

    /// Reads and parses a file, keeping U8 tensors as bytes when `keepingU8`.
    public static func read(from url: URL, keepingU8: Bool) throws
        -> (tensors: [String: Tensor], bytes: [String: ByteTensor], metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CheckpointError.io("cannot read \(url.path)")
        }
        return try decode(Array(data), keepingU8: keepingU8)
    }

    private static let elementSize = ["F32": 4, "F64": 8, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I8": 1, "U8": 1, "BOOL": 1]

    private static func convert(_ raw: UnsafeRawBufferPointer, from start: Int, dtype: String, into out: UnsafeMutableBufferPointer<Float>) {
        for i in out.indices {
            switch dtype {
            case "F32": out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))
            case "F64": out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * i, as: UInt64.self))))
            case "F16": out[i] = Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 2 * i, as: UInt16.self))))
            case "BF16": out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 2 * i, as: UInt16.self))) << 16)
            case "I64": out[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * i, as: Int64.self)))
            case "I32": out[i] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: Int32.self)))
            case "I8": out[i] = Float(Int8(bitPattern: raw[start + i]))
            default: out[i] = Float(raw[start + i])  // U8, BOOL
            }
        }
    }
}

/// Why a checkpoint could not be written or loaded; each case names the file or tensor.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case io(String)
    case corrupt(String)
    case unsupportedDType(name: String, dtype: String)
    case missingTensor(String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    /// A checkpoint file that cannot be read (truncated, corrupt, missing).
    case unreadable(file: String, reason: String)
    /// A checkpoint whose tensor holds NaN or infinity (at flat `index`, the first).
    case nonFinite(file: String, tensor: String, index: Int)

    public var description: String {
        switch self {
        case .io(let message): message
        case .corrupt(let message): "not a valid safetensors file: \(message)"
        case .unsupportedDType(let name, let dtype): "tensor '\(name)' has dtype \(dtype), which Reverie cannot read"
        case .missingTensor(let name): "checkpoint has no tensor '\(name)'"
        case .shapeMismatch(let name, let expected, let found): "tensor '\(name)' has shape \(found) in the checkpoint, the model expects \(expected)"
        case .unreadable(let file, let reason): "cannot read the checkpoint \(file): \(reason)"
        case .nonFinite(let file, let tensor, let index): "the checkpoint \(file) is damaged: tensor '\(tensor)' holds a non-finite value (element \(index))"
        }
    }
}
