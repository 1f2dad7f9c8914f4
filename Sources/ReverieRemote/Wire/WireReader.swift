import Glibc

/// Parses the messages of a conversation, reusing the previous parse when a
/// header differs from the previous header only in the digits of its `seq`.
///
/// A stepping loop sends the same header every step but for `seq`, so the
/// JSON parser runs once per change of shape (an episode ending, another
/// command) instead of once per step. What `read` returns, and every error it
/// throws, is what `WireMessage(frames:)` gives for the same frames: a reused
/// parse is taken only when the new header is the old one with one
/// non-negative integer token swapped for another, in place, and every array
/// frame has the byte count the old descriptors demand.
struct WireReader {
    private var last: (header: [UInt8], seq: Range<Int>, message: WireMessage)?
    /// How many reads reused the previous parse (for tests).
    private(set) var reuses = 0

    mutating func read(_ frames: [[UInt8]]) throws -> WireMessage {
        if let last, let seq = Self.sequence(of: frames, like: last) {
            var message = last.message
            message.header["seq"] = .int(seq)
            for i in message.arrays.indices { message.arrays[i].bytes = frames[i + 1] }
            reuses += 1
            return message
        }
        last = nil
        var span: Range<Int>?
        let message = try WireMessage(frames: frames, seqSpan: &span)
        if let span, let seq = message.header["seq"]?.int, seq >= 0 { last = (frames[0], span, message) }
        return message
    }

    /// The new `seq` if `frames` are `last`'s but for the digits of `seq` and the array bytes.
    private static func sequence(of frames: [[UInt8]], like last: (header: [UInt8], seq: Range<Int>, message: WireMessage)) -> Int? {
        let arrays = last.message.arrays
        guard frames.count == arrays.count + 1, frames[0].count == last.header.count else { return nil }
        for (array, frame) in zip(arrays, frames.dropFirst()) where frame.count != array.bytes.count { return nil }
        return frames[0].withUnsafeBufferPointer { new in
            last.header.withUnsafeBufferPointer { old -> Int? in
                let span = last.seq
                // Up to 18 digits cannot overflow Int; longer ones take the parser.
                guard span.count <= 18,
                      memcmp(new.baseAddress!, old.baseAddress!, span.lowerBound) == 0,
                      memcmp(new.baseAddress! + span.upperBound, old.baseAddress! + span.upperBound, new.count - span.upperBound) == 0
                else { return nil }
                // JSON forbids leading zeros: "0" alone, or digits from 1.
                guard span.count == 1 || new[span.lowerBound] != UInt8(ascii: "0") else { return nil }
                var value = 0
                for i in span {
                    let digit = Int(new[i]) - Int(UInt8(ascii: "0"))
                    guard digit >= 0 && digit <= 9 else { return nil }
                    value = value * 10 + digit
                }
                return value
            }
        }
    }
}
