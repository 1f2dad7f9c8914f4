import ReverieEnvs

/// The env a viewer watches: an in-process env, or env 0 of a vector env —
/// a remote server's (`zmq://host:port`), whose other envs, if it serves
/// several, take the same actions and are not shown. Every call may throw,
/// so a dead server is an error the viewer reports, not a crash.
public enum WatchedEnvironment {
    case single(any Environment)
    case vector(any VectorEnvironment, name: String)

    public var name: String {
        switch self {
        case .single(let env): env.name
        case .vector(_, let name): name
        }
    }

    public var observationSpace: Space {
        switch self {
        case .single(let env): env.observationSpace
        case .vector(let env, _): env.singleObservationSpace
        }
    }

    public var actionSpace: Space {
        switch self {
        case .single(let env): env.actionSpace
        case .vector(let env, _): env.singleActionSpace
        }
    }

    /// x_0 of a new episode (a vector env resets all its envs; env i gets seed + i).
    func reset(seed: UInt64) throws -> [Float] {
        switch self {
        case .single(let env): return env.reset(seed: seed)
        case .vector(let env, _): return Array(try env.reset(seed: seed).scalars.prefix(env.singleObservationSpace.flatCount))
        }
    }

    /// One step of the watched env. When a vector env's episode ends, the
    /// step's observation is the episode's last (the vector env has already
    /// reset it; the viewer resets it again with its own seed).
    func step(_ action: [Float]) throws -> Step {
        switch self {
        case .single(let env):
            return try env.step(action)
        case .vector(let env, _):
            let result = try env.step(Array(repeating: action, count: env.count))
            let size = env.singleObservationSpace.flatCount
            let observation = result.finalObservations[0] ?? Array(result.observations.scalars.prefix(size))
            return Step(observation: observation, reward: result.rewards[0], terminated: result.terminated[0],
                        truncated: result.truncated[0])
        }
    }

    /// The env that draws the watched env's observations (in process only).
    var observationDrawing: (any ObservationDrawing)? {
        if case .single(let env) = self { return env.observationDrawing }
        return nil
    }

    func render() throws -> Frame? {
        switch self {
        case .single(let env): env.render()
        case .vector(let env, _): try env.render(index: 0)
        }
    }
}
