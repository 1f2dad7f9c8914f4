import ArgumentParser
import Foundation
import ReverieNN

/// `reverie demo`: a short tour of the core until agents land — an MLP fitted
/// with Adam to a nonlinear function, with progress and a final check.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit an MLP to y = sin(2x₀)·cos(x₁) + x₀²/2 with Adam, showing the core at work.")

    @Option(help: "Adam steps.")
    var steps = 2000

    @Option(help: "Seed of the data and of the initialisation.")
    var seed: UInt64 = 0

    @Option(help: "Hidden width of the two-layer MLP.")
    var width = 64

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1.") }
        guard width >= 1 else { throw ValidationError("--width must be at least 1.") }
    }

    func run() throws {
        var rng = RandomGenerator(seed: seed)
        func data(_ n: Int) -> (Tensor, Tensor) {
            let x = Tensor.uniform([n, 2], low: -2, high: 2, using: &rng)
            let v = x.scalars
            let y = Tensor((0..<n).map { i in sinf(2 * v[2 * i]) * cosf(v[2 * i + 1]) + 0.5 * v[2 * i] * v[2 * i] },
                           shape: [n, 1])
            return (x, y)
        }
        let (x, y) = data(1024)
        let (testX, testY) = data(1024)
        let model = MLP(2, hidden: [width, width], 1, activation: .tanh, rng: &rng)
        let optimizer = Adam(model, learningRate: 3e-3)
        let schedule = LinearDecay(from: 3e-3, to: 3e-4, steps: steps)
        print("MLP 2→\(width)→\(width)→1 (\(model.parameterCount) parameters), Adam, \(steps) steps, seed \(seed)")
        let start = DispatchTime.now().uptimeNanoseconds
        for step in 0..<steps {
            optimizer.learningRate = schedule.learningRate(at: step)
            let (loss, grads) = valueWithGradients(wrt: optimizer.parameters) { meanSquaredError(model(x), y) }
            guard loss.isFinite else { throw ValidationError("the loss became \(loss) at step \(step)") }
            optimizer.update(grads)
            if step % max(steps / 10, 1) == 0 || step == steps - 1 {
                print(String(format: "step %5d  train MSE %.5f", step, loss))
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let testLoss = meanSquaredError(model(testX), testY).item
        print(String(format: "held-out MSE %.5f (variance of y: %.3f); %.1f steps/s", testLoss,
                     variance(testY.scalars), Double(steps) / seconds))
    }

    private func variance(_ v: [Float]) -> Float {
        let mean = v.reduce(0, +) / Float(v.count)
        return v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(v.count)
    }
}
