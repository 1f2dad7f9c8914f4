/// DreamerV3's image encoder: four convolutions of kernel 4 and stride 2
/// (depth d, 2d, 4d, 8d channels), each normalised and followed by SiLU, on
/// x·scale − 0.5 (x/255 − 0.5 for pixels, x − 0.5 for {0, 1} images); a
/// 64×64 image becomes 8d maps of 4×4, flattened.
///
/// Each feature map is normalised over all its channels and positions with
/// a learned gain and bias per channel (GroupNorm with one group; DreamerV3
/// normalises over channels at each position).
public final class PixelEncoder: ObservationEncoder {
    public let convolutions: [Conv2d]
    public let norms: [MapNorm]
    /// H, W, C of an observation (HWC).
    public let height: Int, width: Int, channels: Int
    public let scale: Float

    /// - Parameters:
    ///   - height, width: divisible by 16.
    ///   - depth: d, the channels of the first convolution.
    ///   - scale: 1/255 for pixels, 1 for {0, 1} images.
    public init(height: Int, width: Int, channels: Int, depth: Int, scale: Float = 1 / 255, rng: inout RandomGenerator) {
        precondition(height % 16 == 0 && width % 16 == 0, "the image encoder needs sides divisible by 16, got \(height)×\(width)")
        (self.height, self.width, self.channels, self.scale) = (height, width, channels, scale)
        let widths = [channels, depth, 2 * depth, 4 * depth, 8 * depth]
        convolutions = (0..<4).map { Conv2d(widths[$0], widths[$0 + 1], kernel: 4, stride: 2, padding: 1, bias: false, rng: &rng) }
        norms = (1...4).map { MapNorm(widths[$0]) }
    }

    public var inputSize: Int { height * width * channels }
    public var outputSize: Int { convolutions.last!.weight.shape[0] * (height / 16) * (width / 16) }

    public func callAsFunction(_ observations: Tensor) -> Tensor {
        // HWC rows → (N, C, H, W), scaled to [−0.5, 0.5].
        var x = observations.centredMaps(height: height, width: width, channels: channels, scale: scale)
        for (conv, norm) in zip(convolutions, norms) { x = norm(conv(x)).silu() }
        return x.reshaped([observations.shape[0], outputSize])
    }
}

/// DreamerV3's image decoder: a linear layer to 8d maps of 4×4, then four
/// transposed convolutions of kernel 4 and stride 2 back to C channels at the
/// full size (normalised and SiLU between them). Trained by the squared
/// error against x·scale − 0.5 summed over pixels (x/255 − 0.5 for pixels),
/// or, for {0, 1} images, by the Bernoulli likelihood of its outputs read as
/// logits (`ObservationLikelihood`).
public final class PixelDecoder: ObservationDecoder {
    public let input: Linear
    public let convolutions: [ConvTranspose2d]
    public let norms: [MapNorm]
    public let height: Int, width: Int, channels: Int, depth: Int
    public let likelihood: ObservationLikelihood
    public let scale: Float

    public init(featureSize: Int, height: Int, width: Int, channels: Int, depth: Int,
                likelihood: ObservationLikelihood = .squaredError, scale: Float = 1 / 255, rng: inout RandomGenerator) {
        precondition(height % 16 == 0 && width % 16 == 0, "the image decoder needs sides divisible by 16, got \(height)×\(width)")
        (self.height, self.width, self.channels, self.depth) = (height, width, channels, depth)
        (self.likelihood, self.scale) = (likelihood, scale)
        input = Linear(featureSize, 8 * depth * (height / 16) * (width / 16), rng: &rng)
        let widths = [8 * depth, 4 * depth, 2 * depth, depth, channels]
        convolutions = (0..<4).map {
            ConvTranspose2d(widths[$0], widths[$0 + 1], kernel: 4, stride: 2, padding: 1, bias: $0 == 3, rng: &rng)
        }
        norms = (1...3).map { MapNorm(widths[$0]) }
    }

    /// (N, F) → (N, C, H, W): logits (`.bernoulli`) or the [−0.5, 0.5] units of the targets.
    func decode(_ features: Tensor) -> Tensor {
        let n = features.shape[0]
        var x = input(features).reshaped([n, 8 * depth, height / 16, width / 16])
        for (k, conv) in convolutions.enumerated() {
            x = conv(x)
            if k < norms.count { x = norms[k](x).silu() }
        }
        return x
    }

    /// (N, C, H, W) → HWC rows (N, H·W·C).
    func rows(_ maps: Tensor) -> Tensor {
        let n = maps.shape[0]
        return maps.reshaped([n, channels, height * width]).transposed().reshaped([n, height * width * channels])
    }

    public func loss(_ features: Tensor, targets: Tensor) -> Tensor {
        likelihood.loss(rows(decode(features)), targets: targets, scale: scale)
    }

    public func reconstruction(_ features: Tensor) -> Tensor { likelihood.reconstruction(rows(decode(features)), scale: scale) }
}

/// Normalises each sample's feature maps (N, C, H, W) over all of C·H·W,
/// then scales and shifts each channel by a learned gain and bias.
public final class MapNorm: Module {
    /// (C), initialised to 1.
    public let weight: Parameter
    /// (C), initialised to 0.
    public let bias: Parameter

    public init(_ channels: Int) {
        weight = Parameter(.ones([channels]))
        bias = Parameter(.zeros([channels]))
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, c) = (x.shape[0], x.shape[1])
        let normalised = x.reshaped([n, x.count / n]).layerNormalized(epsilon: 1e-3).reshaped(x.shape)
        return normalised * weight.value.reshaped([c, 1, 1]) + bias.value.reshaped([c, 1, 1])
    }
}
