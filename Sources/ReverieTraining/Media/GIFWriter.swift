import Foundation
import ReverieEnvs

/// Writes RGB frames as an animated GIF (GIF89a, looping), so an episode
/// can be watched anywhere a browser runs.
///
/// A frame of at most 256 distinct colours (a game's screen: MinAtar,
/// Atari's palette, PixelCatch) carries its own colour table and is drawn
/// exactly. Other frames (a world model's reconstructions and dreams) are
/// quantised to the file's table: a fixed 6×7×6 cube (252 colours, green
/// finest, as the eye is most sensitive to it) and six greys (the cube's
/// black and white and four more in the table's last slots: the cube's greys
/// would be tinted, its green levels differing from red and blue). Pixels are
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
        data.append(0x2C)  // image descriptor at (0, 0), full size
        append16(0); append16(0); append16(width); append16(height)
        let indices: [UInt8], codeSize: Int
        if let (colours, exact) = Self.exactColours(frame) {
            // A local table of 2^bits entries (bits ≥ 1), the frame's colours first.
            let bits = max(1, Int.bitWidth - (colours.count - 1).leadingZeroBitCount)
            data.append(0x80 | UInt8(bits - 1))
            for k in 0..<(1 << bits) {
                let c = k < colours.count ? colours[k] : 0
                data.append(contentsOf: [UInt8(c >> 16), UInt8((c >> 8) & 0xFF), UInt8(c & 0xFF)])
            }
            (indices, codeSize) = (exact, max(2, bits))
        } else {
            data.append(0x00)  // no local table: the file's
            indices = frame.pixels.withUnsafeBufferPointer { p in
                (0..<(width * height)).map { i -> UInt8 in
                    let r = Int(p[3 * i]), g = Int(p[3 * i + 1]), b = Int(p[3 * i + 2])
                    return Self.paletteIndex(r, g, b)
                }
            }
            codeSize = 8
        }
        data.append(UInt8(codeSize))  // LZW minimum code size
        let compressed = lzw(indices, minimumCodeSize: codeSize)
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

    /// The frame's colours (0xRRGGBB, in order of first appearance) and each
    /// pixel's index among them, or nil if it has more than 256.
    static func exactColours(_ frame: Frame) -> (colours: [Int], indices: [UInt8])? {
        var index: [Int: UInt8] = [:], colours: [Int] = []
        var indices = [UInt8](repeating: 0, count: frame.width * frame.height)
        let found = frame.pixels.withUnsafeBufferPointer { p -> Bool in
            for i in indices.indices {
                let c = Int(p[3 * i]) << 16 | Int(p[3 * i + 1]) << 8 | Int(p[3 * i + 2])
                if let k = index[c] { indices[i] = k; continue }
                guard colours.count < 256 else { return false }
                index[c] = UInt8(colours.count)
                indices[i] = UInt8(colours.count)
                colours.append(c)
            }
            return true
        }
        return found ? (colours, indices) : nil
    }

    /// The finished file's bytes.
    public var bytes: Data { data + [0x3B] }

    /// Writes the file atomically.
    public func write(to url: URL) throws { try bytes.write(to: url, options: .atomic) }

    private mutating func append16(_ v: Int) { data.append(contentsOf: [UInt8(v & 0xFF), UInt8(v >> 8)]) }
}

/// GIF's variable-width LZW over indices below 2^m (m the minimum code
/// size, 2…8): codes start at m + 1 bits and grow to 12; when the table is
/// full a clear code starts it over.
private func lzw(_ input: [UInt8], minimumCodeSize m: Int) -> [UInt8] {
    let clear = 1 << m, end = clear + 1
    // table[(prefix << 8) | byte] = generation << 12 | code, so clearing is a counter bump.
    var table = [UInt32](repeating: 0, count: 4096 * 256)
    var generation: UInt32 = 1
    var next = clear + 2, width = m + 1
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
            next = clear + 2
            width = m + 1
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
