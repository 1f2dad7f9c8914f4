import Foundation
import Testing
import ReverieNN

/// The Nature CNN, MinAtar's network and the IMPALA ResNet against PyTorch: the same closed-form
/// weights and images (Tests/Python/make_encoder_fixtures.py wrote the
/// fixture), compared on the features and on the gradients backpropagation
/// gives the first convolution's weight and every bias.
@Suite struct ImageEncoderTests {
    struct Reference: Decodable {
        let image_shape: [Int]
        let features: [Float]
        let gradients: [String: [Float]]
    }

    static let fixture: [String: Reference] = {
        let url = Bundle.module.url(forResource: "image_encoders", withExtension: "json", subdirectory: "Fixtures")!
        let object = try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return object.filter { $0.key != "torch" }.mapValues {
            try! JSONDecoder().decode(Reference.self, from: JSONSerialization.data(withJSONObject: $0))
        }
    }()

    /// Element i of `count` closed-form values, evaluated in Double and rounded to Float.
    static func closedForm(_ count: Int, _ f: (Double) -> Double) -> [Float] { (0..<count).map { Float(f(Double($0))) } }

    @Test(arguments: ImageEncoder.Kind.allCases)
    func featuresAndGradientsMatchPyTorch(kind: ImageEncoder.Kind) throws {
        let reference = try #require(Self.fixture[kind.rawValue])
        var rng = RandomGenerator(seed: 0)
        let encoder = ImageEncoder(kind, imageShape: reference.image_shape, scale: 1 / 255, rng: &rng)
        for (k, (_, parameter)) in encoder.namedParameters.enumerated() {
            let shape = parameter.shape
            let fanIn = shape.count > 1 ? shape.dropFirst().reduce(1, *) : shape[0]
            let values = Self.closedForm(parameter.count) { (cos(0.11 * $0 + Double(k)) - 0.3) / Double(fanIn).squareRoot() }
            parameter.update { for i in $0.indices { $0[i] = values[i] } }
        }
        let size = reference.image_shape.reduce(1, *)
        let images = Tensor(Self.closedForm(2 * size) { 127.5 * (1 + sin(0.37 * $0)) }, shape: [2, size])
        let tape = Tape()
        let features = tape.recording { encoder(images) }
        expectClose(features, reference.features, shape: [2, encoder.outputSize], relative: 1e-4, absolute: 1e-5, "\(kind) features")
        let weights = Tensor(Self.closedForm(features.count) { sin(0.23 * $0) }, shape: features.shape)
        let loss = tape.recording { (features * weights).sum() }
        let named = Dictionary(uniqueKeysWithValues: encoder.namedParameters.map { ($0.name, $0.parameter) })
        let names = reference.gradients.keys.sorted()
        let gradients = tape.gradients(of: loss, wrt: names.map { named[$0]! })
        for (name, gradient) in zip(names, gradients) {
            expectClose(gradient, reference.gradients[name]!, relative: 1e-3, absolute: 1e-4, "\(kind) ∂/∂\(name)")
        }
    }

    @Test func shapesTheEncodersCannotReadAreRefused() {
        #expect(ImageEncoder.accepts(.nature, imageShape: [84, 84, 4]) && ImageEncoder.accepts(.nature, imageShape: [36, 36, 1]))
        #expect(!ImageEncoder.accepts(.nature, imageShape: [35, 84, 4]) && !ImageEncoder.accepts(.nature, imageShape: [4]))
        #expect(ImageEncoder.accepts(.minatar, imageShape: [10, 10, 7]) && !ImageEncoder.accepts(.minatar, imageShape: [2, 10, 7]))
        #expect(ImageEncoder.accepts(.impala, imageShape: [64, 64, 3]) && ImageEncoder.accepts(.impala, imageShape: [1, 1, 1]))
        #expect(!ImageEncoder.accepts(.impala, imageShape: [64, 64]))
    }
}
