import Testing
@testable import ReverieRemote

/// `WireReader` reuses the previous header's parse when only `seq` changed;
/// whatever it returns or throws must be what `WireMessage(frames:)` gives.
struct WireReaderTests {
    /// A 1-env CartPole step reply as the server writes it, with `seq` and final indices given.
    static func reply(seq: Int, finals: [Int] = []) -> [[UInt8]] {
        WireMessage(header: ["v": 1, "seq": .int(seq), "final_indices": JSON(finals)], arrays: [
            WireArray(name: "observations", dtype: .float32, shape: [1, 4], values: [0.1, 0.2, 0.3, Float(seq)]),
            WireArray(name: "rewards", dtype: .float32, shape: [1], values: [1]),
            WireArray(name: "terminated", bools: [finals.isEmpty ? false : true]),
            WireArray(name: "final_observations", dtype: .float32, shape: [finals.count, 4],
                      values: [Float](repeating: 2, count: 4 * finals.count)),
        ]).frames()
    }

    /// The reader's answer and the full parser's for the same frames, as comparable values.
    static func bothRead(_ frames: [[UInt8]], with reader: inout WireReader) -> (Result<WireMessage, ProtocolError>, Result<WireMessage, ProtocolError>) {
        let reused = Result { try reader.read(frames) }.mapError { $0 as! ProtocolError }
        let parsed = Result { try WireMessage(frames: frames) }.mapError { $0 as! ProtocolError }
        return (reused, parsed)
    }

    static func same(_ a: Result<WireMessage, ProtocolError>, _ b: Result<WireMessage, ProtocolError>) -> Bool {
        switch (a, b) {
        case (.success(let x), .success(let y)): x.header == y.header && x.arrays == y.arrays
        case (.failure(let x), .failure(let y)): x == y
        default: false
        }
    }

    @Test func aSteppingLoopReusesTheParseAndReadsEverySeqAndArray() throws {
        var reader = WireReader()
        for seq in [7, 8, 9, 10, 11, 99, 100, 0, 5] {
            let frames = Self.reply(seq: seq, finals: seq == 11 ? [0] : [])
            let message = try reader.read(frames)
            let parsed = try WireMessage(frames: frames)
            #expect(message.header == parsed.header && message.arrays == parsed.arrays, "seq \(seq)")
            #expect(message.sequence == seq && message.arrays[0].floats[3] == Float(seq))
        }
        // 7→8→9 reuse; 10 (a digit more), 11 (a final observation), 12…: 99 after 11's other shape is parsed;
        // 100 (a digit more) parsed; 0 (fewer digits) parsed; 5 after 0 reused.
        #expect(reader.reuses == 3)
    }

    @Test(arguments: [
        ("07", "a leading zero"), ("1a", "a letter"), ("-1", "a sign"), ("1.", "a fraction"), ("1 ", "a space"),
    ])
    func aChangedSeqThatIsNotAnIntegerIsTheParsersError(replacement: String, what: String) {
        var reader = WireReader()
        _ = try? reader.read(Self.reply(seq: 42))
        var frames = Self.reply(seq: 42)
        let header = Array(frames[0])
        let at = header.indices.first { Array(header[$0..<min($0 + 8, header.count)]) == Array(#""seq":42"#.utf8) }! + 6
        frames[0].replaceSubrange(at..<(at + 2), with: Array(replacement.utf8))
        let (reused, parsed) = Self.bothRead(frames, with: &reader)
        #expect(Self.same(reused, parsed), "\(what): \(reused) vs \(parsed)")
        #expect(reader.reuses == 0)
    }

    @Test func arrayFramesOfTheWrongSizeOrNumberAreTheParsersErrors() {
        for broken in [{ (f: inout [[UInt8]]) in f[1].removeLast() }, { $0[2] += [0] }, { $0.removeLast() }, { $0.append([1]) }] {
            var reader = WireReader()
            _ = try? reader.read(Self.reply(seq: 1))
            var frames = Self.reply(seq: 2)
            broken(&frames)
            let (reused, parsed) = Self.bothRead(frames, with: &reader)
            #expect(Self.same(reused, parsed), "\(reused) vs \(parsed)")
            guard case .failure = reused else { Issue.record("a broken message was accepted"); continue }
        }
    }

    /// Thousands of one- and two-byte mutations of a header just read: every
    /// answer equals the full parser's, reused or not.
    @Test func mutatedHeadersAlwaysReadAsTheParserReadsThem() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array(#"0123456789-+.eE ,:"{}[]seqvnul"#.utf8)
        var reader = WireReader(), hits = 0
        for trial in 0..<4000 {
            _ = try? reader.read(Self.reply(seq: 1000 + trial % 9000))
            let before = reader.reuses
            var frames = Self.reply(seq: 1000 + (trial * 7) % 9000)
            for _ in 0..<Int.random(in: 0...2, using: &rng) {
                let i = Int.random(in: frames[0].indices, using: &rng)
                frames[0][i] = alphabet.randomElement(using: &rng)!
            }
            let (reused, parsed) = Self.bothRead(frames, with: &reader)
            #expect(Self.same(reused, parsed), "\(String(decoding: frames[0], as: UTF8.self)): \(reused) vs \(parsed)")
            if reader.reuses > before { hits += 1 }
        }
        // Most mutations miss the seq digits and are parsed; unmutated and in-span ones are reused.
        #expect(hits > 400)
    }
}

/// `WireWriter` reuses the previous header's bytes when only `seq` changed;
/// its frames must always parse back to the message written.
struct WireWriterTests {
    @Test func everyMessageParsesBackAndASteppingLoopReusesTheHeader() throws {
        var writer = WireWriter()
        let steps = [7, 8, 9, 10, 11, 12, 999, 1000, 1001]
        for seq in steps {
            let finals = seq == 11 ? [0] : []
            let message = WireMessage(header: ["v": 1, "seq": .int(seq), "final_indices": JSON(finals)], arrays: [
                WireArray(name: "observations", dtype: .float32, shape: [1, 4], values: [0.1, 0.2, 0.3, Float(seq)]),
                WireArray(name: "final_observations", dtype: .float32, shape: [finals.count, 4], values: [Float](repeating: 2, count: 4 * finals.count)),
            ])
            let frames = writer.frames(of: message)
            let back = try WireMessage(frames: frames)
            #expect(back.header.equals(message.header, ignoring: "arrays") && back.arrays == message.arrays, "seq \(seq)")
            #expect(frames == message.frames(), "seq \(seq): the same bytes as written afresh")
        }
        // 8, 9 reuse 7; 10 has a digit more; 11 another shape; 12 differs from 11; 1000, 1001: 1000 a digit more than 999, 1001 reuses.
        #expect(writer.reuses == 3)
    }

    @Test func anyOtherChangeIsWrittenAfresh() throws {
        let base = WireMessage(header: ["v": 1, "cmd": "step", "seq": 5],
                               arrays: [WireArray(name: "actions", dtype: .int64, shape: [2], values: [1, 0])])
        var changed: [WireMessage] = []
        var m = base; m.header["cmd"] = "reset"; changed.append(m)
        m = base; m.header["seed"] = 3; changed.append(m)
        m = base; m.header["v"] = nil; changed.append(m)
        m = base; m.arrays[0].name = "other"; changed.append(m)
        m = base; m.arrays[0] = WireArray(name: "actions", dtype: .int32, shape: [2], values: [1, 0]); changed.append(m)
        m = base; m.arrays[0] = WireArray(name: "actions", dtype: .int64, shape: [1, 2], values: [1, 0]); changed.append(m)
        m = base; m.arrays = []; changed.append(m)
        for message in changed {
            var writer = WireWriter()
            _ = writer.frames(of: base)
            var next = message
            if next.header["seq"] != nil { next.header["seq"] = 6 }
            let frames = writer.frames(of: next)
            #expect(writer.reuses == 0, "\(next.header)")
            let back = try WireMessage(frames: frames)
            #expect(back.header.equals(next.header, ignoring: "arrays") && back.arrays == next.arrays)
        }
    }
}
