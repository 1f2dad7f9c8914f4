import Testing
import ReverieNN
#if canImport(Glibc)
import Glibc
#endif

/// End-to-end fits: the tape, layers and Adam together reach a loss or an
/// accuracy threshold from a fixed seed.
struct TrainingTests {
    @Test func mlpFitsANonlinearFunction() {
        var rng = RandomGenerator(seed: 11)
        let x = Tensor.uniform([512, 2], low: -2, high: 2, using: &rng)
        // y = sin(2·x₀)·cos(x₁) + 0.5·x₀²
        let xs = x.scalars
        let y = Tensor((0..<512).map { i -> Float in
            let (a, b) = (xs[2 * i], xs[2 * i + 1])
            return sinf(2 * a) * cosf(b) + 0.5 * a * a
        }, shape: [512, 1])
        let model = MLP(2, hidden: [64, 64], 1, activation: .tanh, rng: &rng)
        let optimizer = Adam(model, learningRate: 3e-3)
        var loss: Float = .infinity
        let initial = meanSquaredError(model(x), y).item
        for _ in 0..<1500 {
            let (value, grads) = valueWithGradients(wrt: optimizer.parameters) { meanSquaredError(model(x), y) }
            optimizer.update(grads)
            loss = value
        }
        print("MLP regression: MSE \(initial) → \(loss) after 1500 Adam steps")
        #expect(loss < 0.01)
    }

    /// 8×8 images with one bright 2×2 square; the label is its quadrant.
    static func squares(_ n: Int, using rng: inout RandomGenerator) -> (images: Tensor, labels: [Int]) {
        var pixels = [Float](repeating: 0, count: n * 64)
        var labels: [Int] = []
        for i in 0..<n {
            let (r, c) = (rng.int(below: 7), rng.int(below: 7))
            for dr in 0..<2 { for dc in 0..<2 { pixels[i * 64 + (r + dr) * 8 + c + dc] = 1 } }
            // Quadrant of the square's centre (r + 1, c + 1) on the 8×8 grid.
            labels.append((r + 1 >= 4 ? 2 : 0) + (c + 1 >= 4 ? 1 : 0))
        }
        return (Tensor(pixels, shape: [n, 1, 8, 8]), labels)
    }

    @Test func cnnClassifiesWhereTheSquareIs() {
        var rng = RandomGenerator(seed: 12)
        let conv1 = Conv2d(1, 8, kernel: 3, padding: 1, rng: &rng)
        let conv2 = Conv2d(8, 8, kernel: 3, stride: 2, padding: 1, rng: &rng)
        let head = Linear(8 * 4 * 4, 4, rng: &rng)
        func logits(_ images: Tensor) -> Tensor {
            let h = conv2(conv1(images).relu()).relu()
            return head(h.reshaped([images.shape[0], -1]))
        }
        let parameters = conv1.namedParameters + conv2.namedParameters + head.namedParameters
        let optimizer = Adam(parameters, learningRate: 3e-3)
        for _ in 0..<300 {
            let batch = Self.squares(64, using: &rng)
            let (_, grads) = valueWithGradients(wrt: optimizer.parameters) {
                -logits(batch.images).logSoftmax().gather(batch.labels).mean()
            }
            optimizer.update(grads)
        }
        let test = Self.squares(512, using: &rng)
        let predicted = logits(test.images).argmax()
        let accuracy = Float(zip(predicted, test.labels).filter { $0 == $1 }.count) / 512
        print("CNN quadrant classification: held-out accuracy \(accuracy)")
        #expect(accuracy >= 0.95)
    }

    @Test func convolutionalAutoencoderReconstructs() {
        var rng = RandomGenerator(seed: 13)
        let encoder = Conv2d(1, 8, kernel: 4, stride: 2, padding: 1, rng: &rng)
        let decoder = ConvTranspose2d(8, 1, kernel: 4, stride: 2, padding: 1, rng: &rng)
        let optimizer = Adam(encoder.namedParameters + decoder.namedParameters, learningRate: 1e-2)
        let data = Self.squares(128, using: &rng).images
        var loss: Float = .infinity
        for _ in 0..<400 {
            let (value, grads) = valueWithGradients(wrt: optimizer.parameters) {
                meanSquaredError(decoder(encoder(data).relu()), data)
            }
            optimizer.update(grads)
            loss = value
        }
        // A blank image scores the pixel mean, 4/64 = 0.0625.
        print("Conv autoencoder: reconstruction MSE \(loss) (blank image: 0.0625)")
        #expect(loss < 0.005)
    }
}
