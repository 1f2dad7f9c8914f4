import Testing
import ReverieWorldModels

/// Every backbone learns to recall the token it saw `delay` steps earlier:
/// one-hot tokens in, a linear readout of the backbone's output, cross-entropy
/// on every step from `delay` on. Chance is log 4 ≈ 1.39 nats.
struct DelayedRecallTests {
    static let (vocabulary, length, delay, batch) = (4, 16, 4, 16)

    static func batchOfSequences(_ rng: inout RandomGenerator) -> (inputs: Tensor, targets: Tensor) {
        let tokens = (0..<(batch * length)).map { _ in rng.int(below: vocabulary) }
        let inputs = Tensor(shape: [batch, length, vocabulary]) { x in
            for i in 0..<x.count { x[i] = 0 }
            for (k, token) in tokens.enumerated() { x[k * vocabulary + token] = 1 }
        }
        // Row b, step t ≥ delay: the token at t − delay (one-hot); earlier steps are not scored.
        let targets = Tensor(shape: [batch * (length - delay), vocabulary]) { y in
            for i in 0..<y.count { y[i] = 0 }
            for b in 0..<batch {
                for t in delay..<length { y[(b * (length - delay) + t - delay) * vocabulary + tokens[b * length + t - delay]] = 1 }
            }
        }
        return (inputs, targets)
    }

    @Test(arguments: BackboneConfig.Kind.allCases) func backboneRecallsATokenFourStepsBack(_ kind: BackboneConfig.Kind) {
        var rng = RandomGenerator(seed: 1)
        let backbone = BackboneConfig(kind: kind, width: 32, layers: 1, stateSize: 16).make(inputSize: Self.vocabulary, rng: &rng)
        let readout = Linear(32, Self.vocabulary, rng: &rng)
        let optimizer = Adam(backbone.namedParameters + readout.namedParameters.map { ("readout." + $0.name, $0.parameter) },
                             learningRate: 3e-3)
        var loss: Float = .infinity
        for _ in 0..<600 {
            let (inputs, targets) = Self.batchOfSequences(&rng)
            let resets = [Bool](repeating: false, count: Self.batch * Self.length)
            let (value, gradients) = valueWithGradients(wrt: optimizer.parameters) {
                let outputs = backbone.scan(inputs, backbone.initialState(batch: Self.batch), resets: resets).outputs
                let scored = outputs.slice(Self.delay..<Self.length, axis: 1).reshaped([-1, 32])
                return -(readout(scored).logSoftmax() * targets).sum() * (1 / Float(targets.shape[0]))
            }
            optimizer.update(gradients)
            loss = value
        }
        print("delayed recall (\(Self.delay) steps), \(kind): loss \(loss) nats after 600 updates")
        #expect(loss < 0.05, "\(kind): loss \(loss) (chance 1.39)")
    }
}
