/// 2-D convolution with PyTorch's layout and defaults.
public final class Conv2d: Module {
    /// (outChannels, inChannels, kernel, kernel)
    public let weight: Parameter
    /// (outChannels)
    public let bias: Parameter?
    public let stride: Int, padding: Int

    public init(
        _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true,
        weightInit: Initializer = .lecunUniform, rng: inout RandomGenerator
    ) {
        weight = Parameter(weightInit.make([outChannels, inChannels, kernel, kernel], using: &rng))
        self.bias = bias ? Parameter(.zeros([outChannels])) : nil
        (self.stride, self.padding) = (stride, padding)
    }

    /// - Parameter x: (N, inChannels, H, W).
    /// - Returns: (N, outChannels, H', W'), H' = (H + 2·padding − kernel)/stride + 1.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = x.conv2d(weight.value, stride: stride, padding: padding)
        guard let bias else { return y }
        return y + bias.value.reshaped([-1, 1, 1])
    }
}

/// Transposed 2-D convolution (an upsampling decoder layer), PyTorch's layout.
public final class ConvTranspose2d: Module {
    /// (inChannels, outChannels, kernel, kernel)
    public let weight: Parameter
    /// (outChannels)
    public let bias: Parameter?
    public let stride: Int, padding: Int, outputPadding: Int

    public init(
        _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
        outputPadding: Int = 0, bias: Bool = true, weightInit: Initializer = .lecunUniform,
        rng: inout RandomGenerator
    ) {
        // PyTorch computes fan-in from dim 1 of this weight, i.e. outChannels·k².
        weight = Parameter(weightInit.make([inChannels, outChannels, kernel, kernel], using: &rng))
        self.bias = bias ? Parameter(.zeros([outChannels])) : nil
        (self.stride, self.padding, self.outputPadding) = (stride, padding, outputPadding)
    }

    /// - Parameter x: (N, inChannels, H, W).
    /// - Returns: (N, outChannels, H', W'), H' = (H − 1)·stride − 2·padding + kernel + outputPadding.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = x.convTranspose2d(weight.value, stride: stride, padding: padding, outputPadding: outputPadding)
        guard let bias else { return y }
        return y + bias.value.reshaped([-1, 1, 1])
    }
}
