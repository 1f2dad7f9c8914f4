import Foundation
import ReverieEnvs

/// Writes RGB frames as an animated GIF (GIF89a, looping), so an episode
/// can be watched anywhere a browser runs.
///
/// Colours are quantised to a fixed 6×7×6 cube (252 colours, green finest,
/// as the eye is most sensitive to it) shared by every frame, and greys to
/// six greys (the cube's black and white and four more in the table's last
/// slots: the cube's greys would be tinted, its green levels differing from
/// red and blue); pixels are
/// LZW-compressed as the GIF89a specification (section 22 and appendix F) lays out.
public struct GIFWriter {
    public let width: Int, height: Int
    /// Frame delay in hundredths of a second.
    public let delay: Int
    private var data = Data()
    public private(set) var frameCount = 0

    /// - Parameter framesPerSecond: playback rate (GIF delays are whole centiseconds).
    public init(width: Int, height: Int, framesPerSecond: Double = 50) {
        precondition(width > 0 && height > 0 && width < 65_536 && height < 65_536, "GIF frames are 1…65535 pixels a side")
        (self.width, self.height) = (width, height)
        delay = max(2, Int((100 / framesPerSecond).rounded()))
        data.append(contentsOf: Array("GIF89a".utf8))
        append16(width); append16(height)
        data.append(0xF7)  // global colour table of 2^(7+1) = 256 entries, 8 bits per primary
        data.append(contentsOf: [0, 0])  // background colour, aspect ratio
        for i in 0..<256 {
            if i < 252 {
                let (r, g, b) = (i / 42, (i / 6) % 7, i % 6)
                data.append(contentsOf: [UInt8(r * 255 / 5), UInt8(g * 255 / 6), UInt8(b * 255 / 5)])
            } else {
                data.append(contentsOf: Array(repeating: UInt8((i - 251) * 51), count: 3))
            }
        }
        // NETSCAPE2.0 application extension: loop forever.
        data.append(contentsOf: [0x21, 0xFF, 0x0B] + Array("NETSCAPE2.0".utf8) + [0x03, 0x01, 0x00, 0x00, 0x00])
    }

    /// Appends one frame; it must have the writer's size.
    public mutating func add(_ frame: Frame) {
        precondition(frame.width == width && frame.height == height,
                     "a \(width)×\(height) GIF cannot take a \(frame.width)×\(frame.height) frame")
        data.append(contentsOf: [0x21, 0xF9, 0x04, 0x00])  // graphic control: no transparency
        append16(delay)
        data.append(contentsOf: [0x00, 0x00])
        data.append(0x2C)  // image descriptor at (0, 0), full size, no local table
        append16(0); append16(0); append16(width); append16(height)
        data.append(0x00)
        let indices = frame.pixels.withUnsafeBufferPointer { p in
            (0..<(width * height)).map { i -> UInt8 in
                let r = Int(p[3 * i]), g = Int(p[3 * i + 1]), b = Int(p[3 * i + 2])
                return Self.paletteIndex(r, g, b)
            }
        }
        data.append(8)  // LZW minimum code size
        let compressed = lzw(indices)
        for start in stride(from: 0, to: compressed.count, by: 255) {
            let end = min(start + 255, compressed.count)
            data.append(UInt8(end - start))
            data.append(contentsOf: compressed[start..<end])
        }
        data.append(0x00)
        frameCount += 1
    }

    /// The table entry drawing (r, g, b): a near-grey (channels within
    /// `greyTolerance`) goes to the nearest of the greys 0, 51, …, 255, any
    /// other colour to the nearest cube colour.
    static func paletteIndex(_ r: Int, _ g: Int, _ b: Int) -> UInt8 {
        if max(r, g, b) - min(r, g, b) <= greyTolerance {
            let level = ((r + g + b) * 5 + 382) / 765  // round(mean / 51)
            return level == 0 ? 0 : level == 5 ? 251 : UInt8(251 + level)
        }
        return UInt8(((r * 5 + 127) / 255) * 42 + ((g * 6 + 127) / 255) * 6 + (b * 5 + 127) / 255)
    }

    /// How far apart a pixel's channels may be for it to count as grey.
    static let greyTolerance = 6

    /// The finished file's bytes.
    public var bytes: Data { data + [0x3B] }

    /// Writes the file atomically.
    public func write(to url: URL) throws { try bytes.write(to: url, options: .atomic) }

    private mutating func append16(_ v: Int) { data.append(contentsOf: [UInt8(v & 0xFF), UInt8(v >> 8)]) }
}

/// GIF's variable-width LZW over 8-bit indices: codes start at 9 bits and
/// grow to 12; when the table is full a clear code starts it over.
private func lzw(_ input: [UInt8]) -> [UInt8] {
    let clear = 256, end = 257
    // table[(prefix << 8) | byte] = generation << 12 | code, so clearing is a counter bump.
    var table = [UInt32](repeating: 0, count: 4096 * 256)
    var generation: UInt32 = 1
    var next = 258, width = 9
    var out: [UInt8] = []
    out.reserveCapacity(input.count / 2)
    var buffer = 0, bits = 0
    func emit(_ code: Int) {
        buffer |= code << bits
        bits += width
        while bits >= 8 { out.append(UInt8(buffer & 0xFF)); buffer >>= 8; bits -= 8 }
    }
    emit(clear)
    guard var prefix = input.first.map(Int.init) else { emit(end); return out + (bits > 0 ? [UInt8(buffer)] : []) }
    for byte in input.dropFirst() {
        let key = prefix << 8 | Int(byte)
        let entry = table[key]
        if entry >> 12 == generation {
            prefix = Int(entry & 0xFFF)
            continue
        }
        emit(prefix)
        if next < 4096 {
            table[key] = generation << 12 | UInt32(next)
            // The decoder learns each code one step later, so widen once `next` passes the width.
            if next == 1 << width && width < 12 { width += 1 }
            next += 1
        } else {
            emit(clear)
            generation += 1
            next = 258
            width = 9
        }
        prefix = Int(byte)
    }
    emit(prefix)
    // Reading that last code, the decoder adds the entry the encoder added one step before; it may widen for `end`.
    if next == 1 << width && width < 12 { width += 1 }
    emit(end)
    if bits > 0 { out.append(UInt8(buffer & 0xFF)) }
    return out
}
