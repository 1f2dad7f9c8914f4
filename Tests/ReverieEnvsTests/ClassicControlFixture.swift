import Foundation
import ReverieEnvs

/// A classic-control environment whose exact physical state a test can set.
protocol StatefulEnvironment: Environment {
    var state: [Double] { get set }
}

extension CartPole: StatefulEnvironment {}
extension Acrobot: StatefulEnvironment {}
extension MountainCar: StatefulEnvironment {}
extension MountainCarContinuous: StatefulEnvironment {}
extension Pendulum: StatefulEnvironment {}

/// Trajectories recorded from Gymnasium by
/// Tests/Python/make_classic_control_fixtures.py, one JSON file per env in
/// Fixtures/classic_control/. All numbers are float64.
struct ClassicControlFixture: Decodable {
    /// A Gymnasium space as the script writes it: `n` for `Discrete`, bounds for `Box`.
    struct SpaceRecord: Decodable {
        var n: Int?
        var low: [Double]?, high: [Double]?, shape: [Int]?, dtype: String?

        var space: Space? {
            if let n { return .discrete(n) }
            guard let low, let high, let shape, dtype == "float32" else { return nil }
            return .box(low: low.map(Float.init), high: high.map(Float.init), shape: shape, dtype: .float32)
        }
    }

    /// One episode, or its beginning: the state Gymnasium's reset drew, then
    /// per step the action and what Gymnasium returned.
    struct Segment: Decodable {
        var startState: [Double]
        var actions: [[Double]]
        var observations: [[Double]]
        var rewards: [Double]
        var terminated: [Bool]
    }

    var envId: String
    var maxEpisodeSteps: Int
    var observationSpace: SpaceRecord
    var actionSpace: SpaceRecord
    var segments: [Segment]

    static func load(_ id: String) throws -> ClassicControlFixture {
        guard let url = Bundle.module.url(forResource: id, withExtension: "json", subdirectory: "Fixtures/classic_control") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/classic_control/\(id).json"])
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(ClassicControlFixture.self, from: Data(contentsOf: url))
    }

    /// The bare environment named `id` (no time limit), with default options.
    static func makeStateful(_ id: String) -> (any StatefulEnvironment)? {
        switch id {
        case "CartPole-v1": CartPole()
        case "Acrobot-v1": Acrobot()
        case "MountainCar-v0": MountainCar()
        case "MountainCarContinuous-v0": MountainCarContinuous()
        case "Pendulum-v1": Pendulum()
        default: nil
        }
    }
}
