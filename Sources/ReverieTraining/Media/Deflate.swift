/// Deflate (RFC 1951) as PNG and zlib carry it: one block of the fixed
/// Huffman codes (§3.2.6) over greedy LZ77 matches (a 32 KiB window, hash
/// chains of 3-byte prefixes). Far from zlib's best on photographs, but a
/// chart or a screenshot — long runs of one colour — shrinks 20–100×, which
/// is what `reverie plot` and the viewer's screenshots need.
enum Deflate {
    /// The raw deflate stream of `bytes` (no zlib header or checksum).
    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var out = BitWriter()
        out.write(1, bits: 1)   // BFINAL: the only block
        out.write(1, bits: 2)   // BTYPE 01: fixed Huffman codes
        let n = bytes.count
        let window = 32_768, maxChain = 64, hashSize = 1 << 15
        var head = [Int](repeating: -1, count: hashSize)
        var previous = [Int](repeating: -1, count: window)
        bytes.withUnsafeBufferPointer { b in
            func hash(_ i: Int) -> Int { (Int(b[i]) << 10 ^ Int(b[i + 1]) << 5 ^ Int(b[i + 2])) & (hashSize - 1) }
            func insert(_ i: Int) {
                guard i + 2 < n else { return }
                let h = hash(i)
                previous[i & (window - 1)] = head[h]
                head[h] = i
            }
            var i = 0
            while i < n {
                var (bestLength, bestDistance) = (0, 0)
                if i + 2 < n {
                    var candidate = head[hash(i)], chain = 0
                    let limit = min(258, n - i)
                    while candidate >= 0 && i - candidate <= window && chain < maxChain {
                        if b[candidate + bestLength] == b[i + bestLength] {
                            var length = 0
                            while length < limit && b[candidate + length] == b[i + length] { length += 1 }
                            if length > bestLength {
                                (bestLength, bestDistance) = (length, i - candidate)
                                if length == limit { break }
                            }
                        }
                        let next = previous[candidate & (window - 1)]
                        // The chain runs to older positions only; a slot overwritten by a newer one ends it.
                        guard next < candidate else { break }
                        candidate = next
                        chain += 1
                    }
                }
                if bestLength >= 3 {
                    out.writeLength(bestLength)
                    out.writeDistance(bestDistance)
                    for k in 0..<bestLength { insert(i + k) }
                    i += bestLength
                } else {
                    out.writeLiteral(Int(b[i]))
                    insert(i)
                    i += 1
                }
            }
        }
        out.writeLiteral(256)   // end of block
        return out.finish()
    }

    /// Deflate's bit stream: values LSB first, Huffman codes MSB first.
    struct BitWriter {
        private(set) var bytes: [UInt8] = []
        private var buffer: UInt64 = 0, count = 0

        /// `value`'s low `bits` bits, least significant first.
        mutating func write(_ value: Int, bits: Int) {
            buffer |= UInt64(value) << UInt64(count)
            count += bits
            while count >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: buffer))
                buffer >>= 8
                count -= 8
            }
        }

        /// A Huffman code of `bits` bits, most significant first.
        mutating func writeCode(_ code: Int, bits: Int) {
            var reversed = 0
            for k in 0..<bits where code & (1 << k) != 0 { reversed |= 1 << (bits - 1 - k) }
            write(reversed, bits: bits)
        }

        /// A literal byte or the end-of-block symbol (256), in the fixed code.
        mutating func writeLiteral(_ symbol: Int) {
            switch symbol {
            case 0...143: writeCode(0x30 + symbol, bits: 8)
            case 144...255: writeCode(0x190 + symbol - 144, bits: 9)
            case 256...279: writeCode(symbol - 256, bits: 7)
            default: writeCode(0xC0 + symbol - 280, bits: 8)
            }
        }

        /// A match length in 3...258: its symbol (257...285) and extra bits.
        mutating func writeLength(_ length: Int) {
            let code = Deflate.lengthBases.lastIndex { $0 <= length }!
            writeLiteral(257 + code)
            write(length - Deflate.lengthBases[code], bits: Deflate.lengthExtraBits[code])
        }

        /// A match distance in 1...32768: its five-bit code and extra bits.
        mutating func writeDistance(_ distance: Int) {
            let code = Deflate.distanceBases.lastIndex { $0 <= distance }!
            writeCode(code, bits: 5)
            write(distance - Deflate.distanceBases[code], bits: Deflate.distanceExtraBits[code])
        }

        /// The bytes, the last one padded with zero bits.
        mutating func finish() -> [UInt8] {
            if count > 0 { bytes.append(UInt8(truncatingIfNeeded: buffer)) }
            (buffer, count) = (0, 0)
            return bytes
        }
    }

    /// RFC 1951 §3.2.5: the lengths and distances each code starts at, and its extra bits.
    static let lengthBases = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
                              131, 163, 195, 227, 258]
    static let lengthExtraBits = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBases = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
                                2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtraBits = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12,
                                    12, 13, 13]
}
