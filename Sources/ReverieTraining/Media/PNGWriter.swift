import Foundation
import ReverieEnvs

/// Encodes an RGB8 frame as a PNG file (the viewer's screenshots,
/// `reverie plot`'s charts): scanlines unfiltered, compressed by our own
/// `Deflate` (PNG spec, ISO/IEC 15948; zlib RFC 1950; deflate RFC 1951).
public enum PNGWriter {
    public static func encode(_ frame: Frame) -> Data {
        var out = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = Data()
        header.appendBigEndian(UInt32(frame.width))
        header.appendBigEndian(UInt32(frame.height))
        header.append(contentsOf: [8, 2, 0, 0, 0])   // 8 bits, truecolour, deflate, filter 0, no interlace
        out.appendChunk("IHDR", header)

        // Scanlines, each behind filter type 0 (none).
        var raw = Data(capacity: (frame.width * 3 + 1) * frame.height)
        for row in 0..<frame.height {
            raw.append(0)
            raw.append(contentsOf: frame.pixels[(row * frame.width * 3)..<((row + 1) * frame.width * 3)])
        }
        var zlib = Data([0x78, 0x01])   // deflate, 32 KiB window; FCHECK makes the pair a multiple of 31
        zlib.append(contentsOf: Deflate.compress([UInt8](raw)))
        zlib.appendBigEndian(adler32(raw))
        out.appendChunk("IDAT", zlib)
        out.appendChunk("IEND", Data())
        return out
    }

    public static func write(_ frame: Frame, to url: URL) throws {
        try encode(frame).write(to: url, options: .atomic)
    }

    static func adler32(_ data: Data) -> UInt32 {
        var (a, b): (UInt32, UInt32) = (1, 0)
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return (b << 16) | a
    }

    /// CRC-32 (ISO 3309, reflected polynomial 0xEDB88320), as PNG chunks use.
    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: Data) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes { c = crcTable[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

extension Data {
    fileprivate mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)])
    }

    /// Length, type, data, CRC of type and data.
    fileprivate mutating func appendChunk(_ type: String, _ body: Data) {
        appendBigEndian(UInt32(body.count))
        let typed = Data(type.utf8) + body
        append(typed)
        appendBigEndian(PNGWriter.crc32(typed))
    }
}
