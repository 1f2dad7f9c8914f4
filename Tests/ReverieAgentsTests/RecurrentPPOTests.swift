import Testing
import ReverieEnvs
@testable import ReverieAgents

/// How recurrent PPO cuts rollouts into training sequences.
@Suite struct RecurrentPPOTests {
    static func make(sequenceLength: Int = 0, burnIn: Int = 0, seed: UInt64 = 3) throws -> PPO {
        var c = PPOConfig()
        (c.rolloutSteps, c.minibatchSize, c.epochs) = (16, 64, 2)
        (c.sequenceLength, c.burnIn) = (sequenceLength, burnIn)
        // 3 envs, chunks of 4: N ≠ L, so mixing the two up in the index math fails.
        let envs = try SyncVectorEnvironment(count: 3) { _ in try Registry.make("CartPoleNoVel-v1") }
        return try PPO(c, policy: PolicySpec(hidden: [8], memory: .gru, memorySize: 8), environment: envs,
                       totalSteps: 10_000, seed: seed)
    }

    static func parameters(_ ppo: PPO) -> [[Float]] { ppo.policy.parameters.map(\.storedValue.scalars) }

    /// Chunks as long as the rollout are whole rollouts: the same update, bit for bit.
    @Test func chunksOfTheWholeRolloutAreWholeRollouts() throws {
        let whole = try Self.make(), chunked = try Self.make(sequenceLength: 16)
        for _ in 0..<3 { _ = try whole.iterate(); _ = try chunked.iterate() }
        #expect(Self.parameters(whole) == Self.parameters(chunked))
    }

    /// Before any update the parameters are those that collected the rollout,
    /// so replaying k steps must land exactly on the memory stored at the chunk's start.
    @Test func burnInWithCollectionParametersReproducesStoredMemory() throws {
        let ppo = try Self.make(sequenceLength: 4, burnIn: 3)
        _ = try ppo.iterate()  // episodes start and end inside the next rollout too
        let (rollout, _) = try ppo.collect()
        let (n, length) = (3, 4)
        let chunks = Array(0..<(n * 16 / length))  // every chunk of every env
        let replayed = ppo.chunkMemories(rollout, chunks, length: length)
        let stored = RecurrentState(concatenating: chunks.map { rollout.memories[($0 / n) * length].rows([$0 % n]) })
        #expect(replayed.parts[0].isClose(to: stored.parts[0], relative: 1e-5, absolute: 1e-6))
        #expect(rollout.memories.count == 16 && replayed.batch == 12)
    }

    /// Shorter chunks see different data per step than whole rollouts.
    @Test func shorterChunksChangeTheUpdate() throws {
        let whole = try Self.make(), chunked = try Self.make(sequenceLength: 4, burnIn: 2)
        _ = try whole.iterate(); _ = try chunked.iterate()
        #expect(Self.parameters(whole) != Self.parameters(chunked))
    }

    @Test func sequenceLengthMustDivideTheRollout() {
        #expect(throws: AgentError.invalidConfiguration("sequence length 5 must divide the rollout's 16 steps (0: whole rollouts)")) {
            try Self.make(sequenceLength: 5)
        }
        #expect(throws: AgentError.self) { try Self.make(sequenceLength: 4, burnIn: 5) }
    }
}
