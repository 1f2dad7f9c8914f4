import Foundation
import Testing
@testable import ReverieRemote

/// `gymnasium:` envs: the bridge started by the client itself, in child processes.
@Suite(.serialized)
struct GymnasiumBridgeTests {
    // The bridge script is found from the working directory (swift test runs in the repository) or the
    // test bundle's; the environment is left alone, other suites' commands read it.

    @Test func keywordArgumentsAfterTheQuestionMarkBecomeJSON() throws {
        let (id, kwargs) = try GymnasiumBridge.parse("gymnasium:ALE/Pong-v5?frameskip=1&repeat_action_probability=0.25&obs_type=grayscale&full_action_space=true")
        #expect(id == "ALE/Pong-v5")
        let object = try JSONSerialization.jsonObject(with: Data(kwargs.utf8)) as! [String: Any]
        #expect(object["frameskip"] as? Int == 1 && object["repeat_action_probability"] as? Double == 0.25)
        #expect(object["obs_type"] as? String == "grayscale" && object["full_action_space"] as? Bool == true)
        #expect(try GymnasiumBridge.parse("gymnasium:CartPole-v1").kwargs == "{}")
        #expect(throws: GymnasiumBridge.LaunchError.self) { try GymnasiumBridge.parse("gymnasium:CartPole-v1?sutton") }
        #expect(throws: GymnasiumBridge.LaunchError.self) { try GymnasiumBridge.parse("gymnasium:") }
    }

    @Test func bridgesStartedForTheClientServeItsEnvsAndEndWithIt() throws {
        let env = try GymnasiumBridge.launch("gymnasium:CartPole-v1", count: 5, processes: 2)
        let servers = env.ownedServers
        #expect(env.count == 5 && env.name == "CartPole-v1" && servers.count == 2)
        _ = try env.reset(seed: 1)
        for _ in 0..<50 { _ = try env.step(Tensor(repeating: 1, shape: [5])) }
        #expect(servers.allSatisfy { $0.isRunning })
        env.close()
        #expect(servers.allSatisfy { !$0.isRunning })
    }

    @Test func aBridgeThatCannotStartSaysWhyInItsOwnWords() throws {
        do {
            _ = try GymnasiumBridge.launch("gymnasium:NoSuchEnv-v0", count: 1)
            Issue.record("an unknown env id started")
        } catch let error as GymnasiumBridge.LaunchError {
            #expect(error.description.contains("NoSuchEnv") && error.description.contains("exited"), "\(error)")
        }
    }
}
