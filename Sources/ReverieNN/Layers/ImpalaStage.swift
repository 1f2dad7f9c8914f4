/// One stage of the IMPALA ResNet encoder (Espeholt et al. 2018, Fig. 3; the
/// "ConvSequence" of CleanRL's `ppo_procgen`): a 3×3 convolution, 3×3 max
/// pooling with stride 2, then two residual blocks, each
/// x + conv(relu(conv(relu(x)))) with 3×3 convolutions that keep the size.
///
///     (N, C, H, W) → conv → (N, C', H, W) → pool → (N, C', ⌈H/2⌉, ⌈W/2⌉) → 2 × residual
///
/// Weights are PyTorch's default (U(±1/√fanIn)), as CleanRL leaves them; biases start at zero.
public final class ImpalaStage: Module {
    public let convolution: Conv2d
    /// Two blocks of two convolutions: (first, second).
    public let residualBlocks: [[Conv2d]]

    public init(inChannels: Int, outChannels: Int, rng: inout RandomGenerator) {
        convolution = Conv2d(inChannels, outChannels, kernel: 3, padding: 1, rng: &rng)
        residualBlocks = (0..<2).map { _ in
            (0..<2).map { _ in Conv2d(outChannels, outChannels, kernel: 3, padding: 1, rng: &rng) }
        }
    }

    /// Height or width after the stage: max pooling (3, stride 2, padding 1) halves it, rounding up.
    public static func outputSide(_ side: Int) -> Int { (side + 1) / 2 }

    /// - Parameter x: (N, inChannels, H, W).
    /// - Returns: (N, outChannels, ⌈H/2⌉, ⌈W/2⌉).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var x = convolution(x).maxPool2d(kernel: 3, stride: 2, padding: 1)
        for block in residualBlocks {
            x = x + block[1](block[0](x.relu()).relu())
        }
        return x
    }
}
