/// How a decoder scores an observation's values.
public enum ObservationLikelihood: String, Sendable, Equatable {
    /// A Gaussian of unit variance: the squared error, summed over values (DreamerV3's images and vectors).
    case squaredError
    /// Independent Bernoulli variables, one per value in {0, 1}: the binary
    /// cross-entropy of the decoder's logits (MinAtar's boolean grids).
    case bernoulli

    /// −log p(x | out) summed over each row's values: `out` (N, O) is the
    /// decoder's output (logits, or predictions of x·scale − 0.5), x (N, O) the observations.
    func loss(_ out: Tensor, targets: Tensor, scale: Float) -> Tensor {
        switch self {
        case .bernoulli: -Bernoulli(logits: out).logProb(targets).sum(axis: -1)
        case .squaredError: (out - targets.affine(scale: scale, shift: -0.5)).squared().sum(axis: -1)
        }
    }

    /// The observation `out` stands for, in the observations' units: each
    /// value's probability of 1, or the prediction mapped back and clamped to [0, 1/scale].
    func reconstruction(_ out: Tensor, scale: Float) -> Tensor {
        switch self {
        case .bernoulli: return out.sigmoid()
        case .squaredError:
            let top = (1 / scale).rounded()  // 255 for pixels: exactly the values' range
            return out.affine(scale: top, shift: top / 2).clamped(0, top)
        }
    }
}

/// An encoder for small image grids that DreamerV3's stride-2 CNN cannot
/// read (MinAtar's 10×10×C, Young & Tian 2019): two 3×3 convolutions of
/// stride 1 and padding 1 with d channels each, each normalised (`MapNorm`)
/// and followed by SiLU, keep the grid's size; the maps are flattened
/// (d·H·W). As in MinAtar's own network no layer downsamples: on a 10×10
/// grid one cell is one object, and a stride would merge neighbours.
///
/// Values are read as x·scale − 0.5: scale 1 for {0, 1} grids, 1/255 for
/// pixels, as DreamerV3 centres its images.
public final class GridEncoder: ObservationEncoder {
    public let convolutions: [Conv2d]
    public let norms: [MapNorm]
    /// H, W, C of an observation (HWC).
    public let height: Int, width: Int, channels: Int
    public let scale: Float

    public init(height: Int, width: Int, channels: Int, depth: Int, scale: Float, rng: inout RandomGenerator) {
        (self.height, self.width, self.channels, self.scale) = (height, width, channels, scale)
        convolutions = [Conv2d(channels, depth, kernel: 3, padding: 1, bias: false, rng: &rng),
                        Conv2d(depth, depth, kernel: 3, padding: 1, bias: false, rng: &rng)]
        norms = [MapNorm(depth), MapNorm(depth)]
    }

    public var inputSize: Int { height * width * channels }
    public var outputSize: Int { convolutions[1].weight.shape[0] * height * width }

    /// (N, H·W·C) HWC rows → (N, d·H·W).
    public func callAsFunction(_ observations: Tensor) -> Tensor {
        var x = observations.centredMaps(height: height, width: width, channels: channels, scale: scale)
        for (conv, norm) in zip(convolutions, norms) { x = norm(conv(x)).silu() }
        return x.reshaped([observations.shape[0], outputSize])
    }
}

/// `GridEncoder`'s mirror: a linear layer from the features f_t to d maps of
/// H×W, normalised and SiLU, then a 3×3 convolution (d → d, normalised, SiLU)
/// and a 3×3 convolution to the C channels, all of stride 1 and padding 1.
///
/// With `.bernoulli` the outputs are the logits of each cell being 1 and
/// the loss is −log p(x | f) = Σ softplus(l) − x·l; the reconstruction is
/// the probability σ(l). With `.squaredError` the outputs predict x·scale −
/// 0.5 and the loss is the squared error summed over values.
public final class GridDecoder: ObservationDecoder {
    public let input: Linear
    public let convolutions: [Conv2d]
    public let norms: [MapNorm]
    public let height: Int, width: Int, channels: Int, depth: Int
    public let likelihood: ObservationLikelihood
    public let scale: Float

    public init(featureSize: Int, height: Int, width: Int, channels: Int, depth: Int,
                likelihood: ObservationLikelihood, scale: Float, rng: inout RandomGenerator) {
        (self.height, self.width, self.channels, self.depth) = (height, width, channels, depth)
        (self.likelihood, self.scale) = (likelihood, scale)
        input = Linear(featureSize, depth * height * width, rng: &rng)
        convolutions = [Conv2d(depth, depth, kernel: 3, padding: 1, bias: false, rng: &rng),
                        Conv2d(depth, channels, kernel: 3, padding: 1, rng: &rng)]
        norms = [MapNorm(depth), MapNorm(depth)]
    }

    /// (N, F) → HWC rows (N, H·W·C) of logits (`.bernoulli`) or centred values (`.squaredError`).
    func decode(_ features: Tensor) -> Tensor {
        let n = features.shape[0]
        var x = norms[0](input(features).reshaped([n, depth, height, width])).silu()
        x = norms[1](convolutions[0](x)).silu()
        x = convolutions[1](x)
        return x.reshaped([n, channels, height * width]).transposed().reshaped([n, height * width * channels])
    }

    public func loss(_ features: Tensor, targets: Tensor) -> Tensor {
        likelihood.loss(decode(features), targets: targets, scale: scale)
    }

    public func reconstruction(_ features: Tensor) -> Tensor { likelihood.reconstruction(decode(features), scale: scale) }
}

extension Tensor {
    /// HWC image rows (N, H·W·C) as maps (N, C, H, W) of x·scale − 0.5, the
    /// image encoders' input (DreamerV3 centres its images).
    func centredMaps(height: Int, width: Int, channels: Int, scale: Float) -> Tensor {
        let n = shape[0]
        return reshaped([n, height * width, channels]).transposed().reshaped([n, channels, height, width])
            .affine(scale: scale, shift: -0.5)
    }
}
