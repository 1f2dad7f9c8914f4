/// The last k observations of each env of a vector, stacked along the
/// channel axis, oldest first: frames (H, W) become (H, W, k), frames
/// (H, W, C) become (H, W, C·k), channels last as the image encoders read
/// them. Gymnasium's `FrameStackObservation` with `padding_type="reset"`:
/// at a reset (and an autoreset) the stack is filled with the new first
/// frame; an ended episode's final observation is its stack with the final
/// frame. Gymnasium stacks on a new first axis, (k, H, W): the same numbers,
/// transposed.
public final class VectorFrameStack: VectorEnvironmentWrapper {
    public let inner: any VectorEnvironment
    public let frames: Int
    public let singleObservationSpace: Space
    public var singleActionSpace: Space { inner.singleActionSpace }
    public var count: Int { inner.count }
    public var wrapped: any VectorEnvironment { inner }
    /// Values of one inner frame per pixel (C), and pixels per frame (H·W).
    private let channels: Int, pixels: Int
    /// (N, k, H·W·C): each env's last k frames, oldest first.
    private var history: [Float]

    /// - Throws: `EnvironmentError.invalidOption` unless `frames` ≥ 1 and the env observes images (H, W) or (H, W, C).
    public init(_ inner: any VectorEnvironment, frames: Int) throws {
        let shape = inner.singleObservationSpace.shape
        guard frames >= 1, case .box(let low, let high, _, let dtype) = inner.singleObservationSpace, shape.count == 2 || shape.count == 3 else {
            throw EnvironmentError.invalidOption(environment: "VectorFrameStack", option: "frame_stack",
                                                 reason: "stacks k ≥ 1 images (H, W) or (H, W, C); got k = \(frames) for \(inner.singleObservationSpace)")
        }
        let (c, p) = (shape.count == 3 ? shape[2] : 1, shape[0] * shape[1])
        // Pixel q, stacked channel j reads channel j mod C of the frame's bounds.
        func stacked(_ bound: [Float]) -> [Float] {
            (0..<(p * c * frames)).map { bound[($0 / (c * frames)) * c + $0 % c] }
        }
        (self.inner, self.frames, channels, pixels) = (inner, frames, c, p)
        singleObservationSpace = .box(low: stacked(low), high: stacked(high), shape: [shape[0], shape[1], c * frames], dtype: dtype)
        history = Array(repeating: 0, count: inner.count * frames * p * c)
    }

    public func reset(seed: UInt64?) throws -> Tensor {
        let first = try inner.reset(seed: seed)
        fill(Array(0..<count), from: first)
        return stacks()
    }

    public func step(_ actions: Tensor) throws -> VectorStep {
        var step = try inner.step(actions)
        let size = pixels * channels, n = count
        let ended = (0..<n).filter { step.finalObservations[$0] != nil }
        // The ended episodes' stacks take their final frames; then every other env's its new frame.
        step.observations.withUnsafeBufferPointer { o in
            history.withUnsafeMutableBufferPointer { h in
                for i in 0..<n {
                    let stack = h.baseAddress! + i * frames * size
                    stack.update(from: stack + size, count: (frames - 1) * size)
                    if let final = step.finalObservations[i] {
                        final.withUnsafeBufferPointer { (stack + (frames - 1) * size).update(from: $0.baseAddress!, count: size) }
                    } else {
                        (stack + (frames - 1) * size).update(from: o.baseAddress! + i * size, count: size)
                    }
                }
            }
        }
        if !ended.isEmpty {
            let finals = stacks()
            let row = size * frames
            finals.withUnsafeBufferPointer { f in
                for i in ended { step.finalObservations[i] = Array(f[(i * row)..<((i + 1) * row)]) }
            }
            fill(ended, from: step.observations)
        }
        step.observations = stacks()
        return step
    }

    public func render(index: Int) throws -> Frame? { try inner.render(index: index) }
    public func close() { inner.close() }

    /// Fills the stacks of `envs` with their frame in `observations` (N rows).
    private func fill(_ envs: [Int], from observations: Tensor) {
        let size = pixels * channels
        observations.withUnsafeBufferPointer { o in
            history.withUnsafeMutableBufferPointer { h in
                for i in envs {
                    for k in 0..<frames { (h.baseAddress! + (i * frames + k) * size).update(from: o.baseAddress! + i * size, count: size) }
                }
            }
        }
    }

    /// (N, H, W, C·k): channel k·C + c of a pixel is channel c of the k-th oldest frame.
    private func stacks() -> Tensor {
        let size = pixels * channels, depth = channels * frames
        return Tensor(shape: [count] + singleObservationSpace.shape, unsafeUninitialized: { out in
            history.withUnsafeBufferPointer { h in
                for i in 0..<count {
                    for k in 0..<frames {
                        let frame = h.baseAddress! + (i * frames + k) * size
                        let dst = out.baseAddress! + i * pixels * depth + k * channels
                        for p in 0..<pixels {
                            for c in 0..<channels { dst[p * depth + c] = frame[p * channels + c] }
                        }
                    }
                }
            }
        })
    }
}
