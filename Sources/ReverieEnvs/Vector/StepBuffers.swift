/// The per-env arrays of a `VectorStep`, kept between steps.
struct StepBuffers {
    var rewards: [Float], terminated: [Bool], truncated: [Bool]
    var finals: [[Float]?], infos: [[String: Float]]
    /// Envs whose flags, final observation or info were set by the last step.
    var ended: [Int] = []

    init(count: Int) {
        rewards = Array(repeating: 0, count: count)
        (terminated, truncated) = (Array(repeating: false, count: count), Array(repeating: false, count: count))
        (finals, infos) = (Array(repeating: nil, count: count), Array(repeating: [:], count: count))
    }

    /// Empties what the last step set (rewards are all overwritten).
    mutating func clearEndings() {
        for i in ended {
            if terminated[i] { terminated[i] = false }
            if truncated[i] { truncated[i] = false }
            if finals[i] != nil { finals[i] = nil }
            if !infos[i].isEmpty { infos[i] = [:] }
        }
        ended.removeAll(keepingCapacity: true)
    }
}
