import Foundation
import ReverieEnvs

/// In-process CartPole-v1 (as `Registry.make` builds it: time limit and
/// episode statistics included) stepped with uniformly random actions, one
/// env and a vector of 8, against Gymnasium's Python CartPole-v1 doing the
/// same in the same run (bench/peers/gymnasium_env.py). Headline: the vector of 8.
struct EnvBench {
    var repeats: Int
    var steps = 2_000_000
    var peerSteps = 40_000

    func run() throws -> BenchResult {
        let peer = try PythonPeer().run("gymnasium_env.py", [String(peerSteps), String(max(3, repeats / 2))])
        let peerSingle = (peer["single"] as? Double) ?? .nan
        let peerVector = (peer["vector8"] as? Double) ?? .nan

        let single = try Double(steps) / medianSeconds(repeats: repeats) { try stepSingle() }
        let vector = try Double(steps) / medianSeconds(repeats: repeats) { try stepVector(8) }
        let table = """
            CartPole-v1, random actions   Reverie steps/s   Gymnasium steps/s   ratio
            1 env                         \(Int(single))          \(Int(peerSingle))              \(rounded(single / peerSingle, digits: 10))
            vector of 8                   \(Int(vector))          \(Int(peerVector))              \(rounded(vector / peerVector, digits: 10))
            """
        return BenchResult(
            workload: "env", ours: vector, peer: peerVector, unit: "steps/s",
            details: ["env": "CartPole-v1", "headline": "vector of 8, same-step autoreset",
                      "single_ours": rounded(single), "single_peer": rounded(peerSingle),
                      "single_ratio": rounded(single / peerSingle),
                      "peer_name": (peer["peer_name"] as? String) ?? "gymnasium"],
            table: table)
    }

    private func stepSingle() throws {
        let env = try Registry.make("CartPole-v1")
        var rng = RandomGenerator(seed: 1)
        _ = env.reset(seed: 0)
        for _ in 0..<steps {
            if try env.step(env.actionSpace.sample(using: &rng)).isDone { _ = env.reset() }
        }
    }

    private func stepVector(_ n: Int) throws {
        let vector = try SyncVectorEnvironment(count: n) { _ in try Registry.make("CartPole-v1") }
        var rng = RandomGenerator(seed: 1)
        _ = try vector.reset(seed: 0)
        for _ in 0..<(steps / n) {
            // One tensor of N random actions, as a policy would produce (Gymnasium: action_space.sample()).
            let actions = Tensor(shape: [n]) { a in for i in 0..<n { a[i] = Float(rng.int(below: 2)) } }
            _ = try vector.step(actions)
        }
    }
}

/// Median wall time of a throwing body (see `medianSeconds`).
func medianSeconds(repeats: Int, _ body: () throws -> Void) throws -> Double {
    var failure: Error?
    let seconds = medianSeconds(repeats: repeats) { do { try body() } catch { failure = error } }
    if let failure { throw failure }
    return seconds
}
