/// Writes the messages of a conversation, reusing the previous header's bytes
/// when a message differs from the previous one only in its `seq` and its
/// array contents.
///
/// A stepping loop writes the same header every step but for `seq`, so the
/// header is serialized once per change of shape, and otherwise copied with
/// the new `seq` digits put in place. The frames always parse back to the
/// message (`WireMessage(frames:)`), as those of `message.frames()` do.
struct WireWriter {
    private var last: (message: WireMessage, header: [UInt8], seq: Range<Int>)?
    /// How many messages reused the previous header's bytes (for tests).
    private(set) var reuses = 0

    mutating func frames(of message: WireMessage) -> [[UInt8]] {
        if let last, let seq = message.header["seq"]?.int, let header = Self.header(of: message, seq: seq, like: last) {
            reuses += 1
            return [header] + message.arrays.map(\.bytes)
        }
        let frames = message.frames()
        last = nil
        if let seq = message.header["seq"]?.int, seq >= 0, let span = try? JSON.parse(frames[0], recording: "seq").span {
            last = (message, frames[0], span)
        }
        return frames
    }

    /// `last`'s header bytes with `seq` in place, if `message` is `last`'s message but for `seq` and the array bytes.
    private static func header(of message: WireMessage, seq: Int, like last: (message: WireMessage, header: [UInt8], seq: Range<Int>)) -> [UInt8]? {
        let old = last.message
        guard seq >= 0, message.arrays.count == old.arrays.count,
              zip(message.arrays, old.arrays).allSatisfy({ $0.name == $1.name && $0.dtype == $1.dtype && $0.shape == $1.shape }),
              message.header.equals(old.header, ignoring: "seq")
        else { return nil }
        var digits: [UInt8] = []
        JSON.int(seq).write(into: &digits)
        guard digits.count == last.seq.count else { return nil }
        var header = last.header
        header.replaceSubrange(last.seq, with: digits)
        return header
    }
}
