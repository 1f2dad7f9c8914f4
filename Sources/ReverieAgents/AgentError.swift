import ReverieEnvs

/// Why an agent cannot be built for, or go on with, a task.
public enum AgentError: Error, CustomStringConvertible, Equatable {
    case unsupportedSpace(Space, reason: String)
    /// A loss or parameter stopped being finite.
    case nonFinite(what: String, update: Int, environmentSteps: Int)
    /// Hyperparameters that cannot work together.
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .unsupportedSpace(let space, let reason):
            "cannot act in \(space): \(reason)"
        case .nonFinite(let what, let update, let steps):
            "\(what) is not finite at update \(update) (env step \(steps)); training stopped, the last checkpoint is intact"
        case .invalidConfiguration(let reason):
            reason
        }
    }
}
