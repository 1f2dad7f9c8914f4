import Foundation
import Testing
import ReverieNN
import ReverieTestSupport

struct CheckpointTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("reverie-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// What Tests/Python/safetensors_interop.py expects to find.
    static var interopTensors: [String: Tensor] {
        [
            "model.encoder.weight": Tensor((0..<12).map { Float($0) / 8 - 0.5 }, shape: [3, 4]),
            "model.encoder.bias": Tensor([1.5, -2.25, 1e-8]),
            "optimizer.step": Tensor([7]),
            "scalar": Tensor(scalar: 3.25),
        ]
    }
    /// Stored as U8 (what a replay keeps its 8-bit frames as).
    static let interopBytes = ["replay.frames": ByteTensor([0, 1, 127, 128, 254, 255], shape: [2, 3])]
    static let interopMetadata = ["format": "pt", "reverie": "checkpoint test", "seed": "42"]

    /// Runs Tests/Python/safetensors_interop.py with $REVERIE_PYTHON (or python3).
    static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Python/safetensors_interop.py").standardized.path
        let python = ProcessInfo.processInfo.environment["REVERIE_PYTHON"] ?? "python3"
        let result = try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), [python, script] + arguments,
                                          mergingErrors: true, timeout: 300)
        return (result.exitCode, result.out + (result.timedOut ? "\n[test: killed at its deadline]" : ""))
    }

    @Test func roundTripKeepsNamesShapesValuesAndMetadata() throws {
        let url = try Self.temporaryDirectory().appendingPathComponent("a.safetensors")
        try SafeTensors.write(Self.interopTensors, bytes: Self.interopBytes, metadata: Self.interopMetadata, to: url)
        let (tensors, bytes, metadata) = try SafeTensors.read(from: url, keepingU8: true)
        #expect(metadata == Self.interopMetadata)
        #expect(tensors.keys.sorted() == Self.interopTensors.keys.sorted())
        for (name, t) in Self.interopTensors { #expect(tensors[name]?.shape == t.shape && tensors[name]?.scalars == t.scalars, "\(name)") }
        #expect(bytes == Self.interopBytes)
        // Read as Float32 by default, as any other dtype.
        #expect(try SafeTensors.read(from: url).tensors["replay.frames"]?.scalars == [0, 1, 127, 128, 254, 255])
        // The header is padded to a multiple of 8, as the reference writer does.
        let file = try Data(contentsOf: url)
        #expect(file.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } % 8 == 0)
    }

    @Test func pythonReadsWhatReverieWrites() throws {
        let url = try Self.temporaryDirectory().appendingPathComponent("from-swift.safetensors")
        try SafeTensors.write(Self.interopTensors, bytes: Self.interopBytes, metadata: Self.interopMetadata, to: url)
        let (status, output) = try Self.python(["check", url.path])
        #expect(status == 0, "Python could not read Reverie's file (needs numpy and safetensors, see Tests/Python/requirements.txt):\n\(output)")
    }

    @Test func reverieReadsWhatPythonWrites() throws {
        let url = try Self.temporaryDirectory().appendingPathComponent("from-python.safetensors")
        let (status, output) = try Self.python(["write", url.path])
        try #require(status == 0, "Python could not write a file (needs numpy and safetensors):\n\(output)")
        let (tensors, metadata) = try SafeTensors.read(from: url)
        #expect(metadata == ["written_by": "safetensors.numpy"])
        #expect(tensors["f32"]?.shape == [2, 3] && tensors["f32"]?.scalars == [0, 0.5, 1, 1.5, 2, 2.5])
        #expect(tensors["f64"]?.scalars == [1e-3, -2.5])
        #expect(tensors["f16"]?.scalars == [0.5, -1.25, 65504])
        #expect(tensors["i64"]?.shape == [2, 1] && tensors["i64"]?.scalars == [-3, 9])
        #expect(tensors["u8"]?.scalars == [0, 128, 255])
        #expect(try Checkpoint(contentsOf: url).bytes["u8"] == ByteTensor([0, 128, 255], shape: [3]))
    }

    @Test func modelAndOptimizerResumeFromOneFile() throws {
        var rng = RandomGenerator(seed: 3)
        let model = MLP(3, hidden: [5], 2, rng: &rng)
        let optimizer = Adam(model, learningRate: 0.01)
        let x = Tensor.uniform([4, 3], using: &rng)
        func train(_ m: MLP, _ o: Adam) { o.update(valueWithGradients(wrt: o.parameters) { m(x).squared().mean() }.gradients) }
        train(model, optimizer)
        var checkpoint = Checkpoint()
        checkpoint.store(model)
        checkpoint.store(optimizer.state, as: "optimizer")
        checkpoint.metadata["step"] = "1"
        let url = try Self.temporaryDirectory().appendingPathComponent("run.safetensors")
        try checkpoint.write(to: url)

        var other = RandomGenerator(seed: 99)
        let resumedModel = MLP(3, hidden: [5], 2, rng: &other)
        let resumedOptimizer = Adam(resumedModel, learningRate: 0.01)
        let loaded = try Checkpoint(contentsOf: url)
        try loaded.load(into: resumedModel)
        try resumedOptimizer.load(state: loaded.state("optimizer"))
        #expect(loaded.metadata["step"] == "1")
        train(model, optimizer)
        train(resumedModel, resumedOptimizer)
        #expect(zip(model.parameters, resumedModel.parameters).allSatisfy { $0.storedValue.scalars == $1.storedValue.scalars })
    }

    @Test func missingOrMisshapedTensorsAreNamedAndChangeNothing() throws {
        var rng = RandomGenerator(seed: 4)
        let model = MLP(3, hidden: [5], 2, rng: &rng)
        let before = model.parameters.map(\.storedValue.scalars)
        var state = model.parameterState
        state["layers.1.bias"] = Tensor.zeros([3])
        state["layers.0.weight"] = Tensor.zeros([5, 3])
        #expect(throws: CheckpointError.shapeMismatch(name: "layers.1.bias", expected: [2], found: [3])) {
            try model.loadParameters(state)
        }
        state["layers.1.bias"] = nil
        #expect(throws: CheckpointError.missingTensor("layers.1.bias")) { try model.loadParameters(state) }
        #expect(model.parameters.map(\.storedValue.scalars) == before)
    }

    @Test func truncatedAndCorruptFilesAreClearErrors() throws {
        let good = try SafeTensors.encode(Self.interopTensors)
        for cut in [0, 5, 8, 20, good.count - 1] {
            #expect(throws: CheckpointError.self, "file cut at \(cut) bytes") { try SafeTensors.decode(Array(good.prefix(cut))) }
        }
        var garbage = good
        garbage[10] = 0xFF
        #expect(throws: CheckpointError.self) { try SafeTensors.decode(garbage) }
        #expect(throws: CheckpointError.self) { try SafeTensors.read(from: URL(fileURLWithPath: "/nonexistent/x.safetensors")) }
    }

    /// A real full disk: a 64 KiB tmpfs (needs root to mount; CI runs as root).
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func fullDiskKeepsThePreviousCheckpoint() throws {
        let mountPoint = try Self.temporaryDirectory()
        let mount = try ChildProcess.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint.path],
                                         timeout: 60)
        try #require(mount.status == 0 && !mount.signaled && !mount.timedOut, "could not mount a tmpfs (\(mount.how)): \(mount.err)")
        defer { _ = try? ChildProcess.run(URL(fileURLWithPath: "/bin/umount"), [mountPoint.path], timeout: 60) }
        let url = mountPoint.appendingPathComponent("latest.safetensors")
        try SafeTensors.write(["w": Tensor.ones([100])], to: url)
        #expect {
            try SafeTensors.write(["w": Tensor.ones([100_000])], to: url)
        } throws: { error in
            "\(error)".contains("No space left") && "\(error)".contains("unchanged")
        }
        #expect(try SafeTensors.read(from: url).tensors["w"]?.shape == [100])
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint.path) == ["latest.safetensors"])
    }
}
