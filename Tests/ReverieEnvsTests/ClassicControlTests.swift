import Foundation
import Testing
import ReverieEnvs

/// The classic-control environments replay trajectories recorded from
/// Gymnasium itself (Tests/Python/make_classic_control_fixtures.py) and match
/// its spaces, seeding and registered time limits.
struct ClassicControlTests {
    static let ids = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"]

    // MARK: - Golden trajectories

    /// Each step's observation, reward and terminated flag equal Gymnasium's
    /// from the same start state and actions, to |a − b| ≤ tol·(1 + |b|), and a
    /// step after a recorded termination throws.
    ///
    /// tol is 1e-5 for every env, with room to spare. CartPole, Acrobot (RK4
    /// included) and MountainCar run Gymnasium's float64 operations in its
    /// order and match it exactly (with glibc's libm; another libm's cos/sin may
    /// differ by an ulp). Where Gymnasium (under NumPy 2) mixes in
    /// float32 arithmetic, this code computes in Double and rounds once:
    /// Pendulum's torque term (3·u and u² are float32 products there) and
    /// MountainCarContinuous (float32 state, rounded after every NumPy
    /// operation) differ by about one float32 ulp (≤ 5e-7 at |θ̇| ≤ 8); rewards
    /// are compared after rounding to `Step`'s Float (≤ 4e-6 at 100). The test
    /// prints the largest differences.
    @Test(arguments: ids)
    func replaysGymnasiumTrajectories(id: String) throws {
        let fixture = try ClassicControlFixture.load(id)
        let env = try #require(ClassicControlFixture.makeStateful(id))
        var worst = (observation: 0.0, reward: 0.0), steps = 0
        for (s, segment) in fixture.segments.enumerated() {
            env.state = segment.startState
            for t in segment.actions.indices {
                let step = try env.step(segment.actions[t].map(Float.init))
                let at = "\(id) segment \(s) step \(t)"
                #expect(step.observation.count == segment.observations[t].count, "\(at): observation size")
                for (value, expected) in zip(step.observation, segment.observations[t]) {
                    worst.observation = max(worst.observation, abs(Double(value) - expected))
                    #expect(close(Double(value), expected), "\(at): observation \(step.observation) vs \(segment.observations[t])")
                }
                worst.reward = max(worst.reward, abs(Double(step.reward) - segment.rewards[t]))
                #expect(close(Double(step.reward), segment.rewards[t]), "\(at): reward \(step.reward) vs \(segment.rewards[t])")
                #expect(step.terminated == segment.terminated[t], "\(at): terminated")
                #expect(!step.truncated, "\(at): the env itself never truncates")
                steps += 1
            }
            if segment.terminated.last == true, let action = segment.actions.last {
                #expect(throws: EnvironmentError.stepAfterEnd(environment: id)) { try env.step(action.map(Float.init)) }
            }
        }
        #expect(steps >= 200)
        print("\(id): \(steps) steps, largest difference: observation \(worst.observation), reward \(worst.reward)")
    }

    private func close(_ value: Double, _ expected: Double, tolerance: Double = 1e-5) -> Bool {
        abs(value - expected) <= tolerance * (1 + abs(expected))
    }

    // MARK: - Spaces and registration

    @Test(arguments: ids)
    func spacesAndTimeLimitsAreGymnasiums(id: String) throws {
        let fixture = try ClassicControlFixture.load(id)
        let env = try Registry.make(id)
        #expect(env.observationSpace == fixture.observationSpace.space)
        #expect(env.actionSpace == fixture.actionSpace.space)
        #expect(env.name == id)
        let registration = try #require(ClassicControl.registrations.first { $0.name == id })
        #expect(registration.maxEpisodeSteps == fixture.maxEpisodeSteps)
    }

    /// `Registry.make` cuts every episode at Gymnasium's limit with
    /// truncated = true, terminated = false, and not a step earlier. The policy
    /// never ends an episode: a PD controller balances CartPole, the others idle
    /// (no torque or force keeps Acrobot hanging and the cars in the valley).
    @Test(arguments: ids)
    func registryTruncatesAtGymnasiumsTimeLimit(id: String) throws {
        let limit = try #require(ClassicControl.registrations.first { $0.name == id }?.maxEpisodeSteps)
        let env = try Registry.make(id)
        var observation = env.reset(seed: 3)
        for t in 1...limit {
            let action: [Float] = switch id {
            case "CartPole-v1":
                [observation[2] + 0.5 * observation[3] + 0.1 * observation[0] + 0.3 * observation[1] > 0 ? 1 : 0]
            case "Acrobot-v1", "MountainCar-v0": [1]
            default: [0]
            }
            let step = try env.step(action)
            #expect(!step.terminated, "\(id) terminated at step \(t)")
            #expect(step.truncated == (t == limit), "\(id) step \(t) of \(limit)")
            if step.isDone {
                #expect(step.info["episode_length"] == Float(t))
                break
            }
            observation = step.observation
        }
    }

    @Test func optionsReachTheEnvironments() throws {
        let pendulum = try #require(unwrapped(Registry.make("Pendulum-v1?g=9.81")) as? Pendulum)
        #expect(pendulum.g == 9.81 && pendulum.name == "Pendulum-v1?g=9.81")
        let car = try #require(unwrapped(Registry.make("MountainCar-v0?goal_velocity=0.01")) as? MountainCar)
        #expect(car.goalVelocity == 0.01)
        let cartPole = try #require(unwrapped(Registry.make("CartPole-v1?sutton_barto_reward=true")) as? CartPole)
        _ = cartPole.reset(seed: 0)
        #expect(try cartPole.step([1]).reward == 0)
        #expect(throws: EnvironmentError.self) { try Registry.make("Pendulum-v1?gravity=9.81") }
        #expect(throws: EnvironmentError.self) { try Registry.make("Acrobot-v1?g=1") }
    }

    private func unwrapped(_ env: any Environment) -> any Environment {
        var env = env
        while let wrapper = env as? EnvironmentWrapper { env = wrapper.inner }
        return env
    }

    // MARK: - Seeding and resets

    /// The same seed gives the same first observation and, with the same
    /// actions, the same trajectory; another seed a different start; `reset()`
    /// without a seed continues the generator.
    @Test(arguments: ids)
    func seedingIsDeterministic(id: String) throws {
        let a = try Registry.make(id), b = try Registry.make(id)
        let first = a.reset(seed: 42)
        #expect(first == b.reset(seed: 42))
        #expect(first != b.reset(seed: 43))
        _ = b.reset(seed: 42)
        var rng = RandomGenerator(seed: 5)
        for _ in 0..<100 {
            let action = a.actionSpace.sample(using: &rng)
            let (stepA, stepB) = (try a.step(action), try b.step(action))
            #expect(stepA == stepB)
            if stepA.isDone { #expect(a.reset() == b.reset()) }
        }
        #expect(a.reset(seed: 42) == first)
        #expect(a.reset() != first)
    }

    /// Resets draw from Gymnasium's start distributions.
    @Test(arguments: ids)
    func resetsDrawFromGymnasiumsStartDistribution(id: String) throws {
        let env = try #require(ClassicControlFixture.makeStateful(id))
        let (low, high): ([Double], [Double]) = switch id {
        case "CartPole-v1": ([-0.05, -0.05, -0.05, -0.05], [0.05, 0.05, 0.05, 0.05])
        case "Acrobot-v1": ([-0.1, -0.1, -0.1, -0.1], [0.1, 0.1, 0.1, 0.1])
        case "Pendulum-v1": ([-Double.pi, -1], [Double.pi, 1])
        default: ([-0.6, 0], [-0.4, 0])
        }
        var spread = [Double](repeating: 0, count: low.count)
        _ = env.reset(seed: 0)
        for _ in 0..<500 {
            let observation = env.reset()
            #expect(env.observationSpace.contains(observation))
            for (i, x) in env.state.enumerated() {
                #expect(x >= low[i] && x <= high[i], "\(id) state[\(i)] = \(x)")
                spread[i] = max(spread[i], x - low[i])
            }
        }
        for i in low.indices { #expect(spread[i] >= 0.9 * (high[i] - low[i]), "\(id) state[\(i)] covers its range") }
    }

    // MARK: - Errors

    /// Actions outside the space throw `invalidAction` naming the env, as does a
    /// step before the first reset (`stepAfterEnd`).
    @Test(arguments: ids)
    func invalidActionsThrowNamingTheEnvironment(id: String) throws {
        let env = try #require(ClassicControlFixture.makeStateful(id))
        var rng = RandomGenerator(seed: 0)
        let valid = env.actionSpace.sample(using: &rng)
        #expect(throws: EnvironmentError.stepAfterEnd(environment: id)) { try env.step(valid) }
        _ = env.reset(seed: 0)
        let invalid: [[Float]] = switch env.actionSpace {
        case .discrete(let n): [[Float(n)], [-1], [0.5], [.nan], [], [0, 0]]
        default: [[3], [-2.5], [.nan], [.infinity], [], [0, 0]]
        }
        for action in invalid {
            do {
                _ = try env.step(action)
                Issue.record("\(id) accepted the action \(action)")
            } catch let error as EnvironmentError {
                guard case .invalidAction(let name, _, _) = error else { Issue.record("\(id): \(error)"); continue }
                #expect(name == id && "\(error)".hasPrefix(id + ":"), "\(error)")
            }
        }
        #expect(throws: Never.self) { try env.step(valid) }
    }
}
