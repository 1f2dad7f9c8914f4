/// What turns flat observations into features: ahead of a policy's cell or
/// heads (an `MLP` layer over vectors, an `ImageEncoder` over images), or a
/// world model's embeddings (DreamerV3's vector and pixel encoders).
public protocol ObservationEncoder: Module {
    /// D, the length of a flat observation.
    var inputSize: Int { get }
    /// F, the length of a feature vector.
    var outputSize: Int { get }
    /// - Parameter observations: (B, D).
    /// - Returns: (B, F).
    func callAsFunction(_ observations: Tensor) -> Tensor
}

extension MLP: ObservationEncoder {
    public var inputSize: Int { layers[0].inFeatures }
    public var outputSize: Int { layers[layers.count - 1].outFeatures }
}

extension ImageEncoder: ObservationEncoder {
    public var inputSize: Int { imageShape.reduce(1, *) }
}
