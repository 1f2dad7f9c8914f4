/// The convolutional trunks pixel benchmarks train their actor-critics with,
/// from flat image observations to a feature vector, ReLU throughout and
/// initialised as CleanRL initialises them (orthogonal, gain √2, zero bias):
///
/// - `nature`: Mnih et al. 2015 (DQN's network, CleanRL's `ppo_atari`):
///   conv 32 8×8/4 → conv 64 4×4/2 → conv 64 3×3/1 → 512 units; images of
///   side ≥ 36 (84×84 Atari frames, 64×64 pixel worlds).
/// - `minatar`: Young & Tian 2019 (MinAtar's network): conv 16 3×3/1 →
///   128 units; small grids such as MinAtar's 10×10×C.
/// - `impala`: Espeholt et al. 2018 (the IMPALA ResNet, as CleanRL's
///   `ppo_procgen` builds it for Procgen's 64×64 frames): three
///   `ImpalaStage`s of 16, 32 and 32 channels, each halving the image → ReLU
///   → 256 units; PyTorch's default initialisation, as CleanRL leaves it.
///
/// Observations arrive as Gymnasium lays images out, (H, W, C) flattened
/// row-major, and are scaled on entry (1/255 for uint8 pixels): the values
/// stay as the env gave them until this first layer.
public final class ImageEncoder: Module {
    public enum Kind: String, CaseIterable, Sendable { case nature, minatar, impala }

    public let kind: Kind
    /// The plain convolutions of `nature` and `minatar` (empty for `impala`).
    public let convolutions: [Conv2d]
    /// The residual stages of `impala` (empty otherwise).
    public let stages: [ImpalaStage]
    public let linear: Linear
    /// (H, W, C) of one observation.
    public let imageShape: [Int]
    /// What raw observation values are multiplied by before the first convolution.
    public let scale: Float

    /// - Parameters:
    ///   - imageShape: (H, W, C).
    ///   - scale: 1/255 for uint8 pixels, 1 for observations already in [0, 1].
    public init(_ kind: Kind, imageShape: [Int], scale: Float, rng: inout RandomGenerator) {
        precondition(Self.accepts(kind, imageShape: imageShape), "\(kind) encoder cannot read images of shape \(imageShape)")
        (self.kind, self.imageShape, self.scale) = (kind, imageShape, scale)
        let orthogonal = Initializer.orthogonal(gain: Float(2).squareRoot())
        let channels = imageShape[2]
        switch kind {
        case .nature:
            convolutions = [Conv2d(channels, 32, kernel: 8, stride: 4, weightInit: orthogonal, rng: &rng),
                            Conv2d(32, 64, kernel: 4, stride: 2, weightInit: orthogonal, rng: &rng),
                            Conv2d(64, 64, kernel: 3, stride: 1, weightInit: orthogonal, rng: &rng)]
            stages = []
        case .minatar:
            convolutions = [Conv2d(channels, 16, kernel: 3, stride: 1, weightInit: orthogonal, rng: &rng)]
            stages = []
        case .impala:
            convolutions = []
            stages = zip([channels] + Self.impalaChannels.dropLast(), Self.impalaChannels).map {
                ImpalaStage(inChannels: $0, outChannels: $1, rng: &rng)
            }
        }
        let (h, w, c) = Self.featureShape(kind, imageShape: imageShape)
        let units = [Kind.nature: 512, .minatar: 128, .impala: 256][kind]!
        linear = Linear(h * w * c, units, weightInit: kind == .impala ? .lecunUniform : orthogonal, rng: &rng)
    }

    /// The IMPALA stages' channels.
    static let impalaChannels = [16, 32, 32]

    /// Whether `kind` can read images of `imageShape` (H, W, C): every convolution keeps at least one pixel.
    public static func accepts(_ kind: Kind, imageShape: [Int]) -> Bool {
        guard imageShape.count == 3, imageShape.allSatisfy({ $0 > 0 }) else { return false }
        let (h, w, _) = featureShape(kind, imageShape: imageShape)
        return h >= 1 && w >= 1
    }

    /// (H', W', C') after the convolutions.
    static func featureShape(_ kind: Kind, imageShape: [Int]) -> (Int, Int, Int) {
        var (h, w) = (imageShape[0], imageShape[1])
        if kind == .impala {
            for _ in impalaChannels { (h, w) = (ImpalaStage.outputSide(h), ImpalaStage.outputSide(w)) }
            return (h, w, impalaChannels.last!)
        }
        let layers = kind == .nature ? [(8, 4, 32), (4, 2, 64), (3, 1, 64)] : [(3, 1, 16)]
        for (kernel, stride, _) in layers { (h, w) = ((h - kernel) / stride + 1, (w - kernel) / stride + 1) }
        return (h, w, layers.last!.2)
    }

    /// Width of the feature vector.
    public var outputSize: Int { linear.outFeatures }

    /// - Parameter observations: (B, H·W·C) images, (H, W, C) row-major.
    /// - Returns: (B, outputSize) features.
    public func callAsFunction(_ observations: Tensor) -> Tensor {
        var x = channelsFirst(observations)
        for convolution in convolutions { x = convolution(x).relu() }
        for stage in stages { x = stage(x) }
        if kind == .impala { x = x.relu() }
        return linear(x.reshaped([x.shape[0], -1])).relu()
    }

    /// (B, H·W·C) → (B, C, H, W), times `scale`. Observations carry no
    /// gradient, so the permutation is a plain copy, not a recorded operation.
    private func channelsFirst(_ observations: Tensor) -> Tensor {
        let (h, w, c) = (imageShape[0], imageShape[1], imageShape[2])
        let batch = observations.count / (h * w * c)
        precondition(batch * h * w * c == observations.count, "observations of shape \(observations.shape) are not (B, \(h)·\(w)·\(c)) images")
        let scale = scale
        return observations.withUnsafeBufferPointer { source in
            Tensor(shape: [batch, c, h, w]) { out in
                for b in 0..<batch {
                    let image = b * h * w * c
                    for y in 0..<h {
                        for x in 0..<w {
                            let pixel = image + (y * w + x) * c
                            for k in 0..<c { out[image + (k * h + y) * w + x] = scale * source[pixel + k] }
                        }
                    }
                }
            }
        }
    }
}
