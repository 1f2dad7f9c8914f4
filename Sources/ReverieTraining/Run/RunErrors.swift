import Foundation

/// A run stopped by a failure that left the agent whole (a server gone, a
/// non-finite observation, a full disk), after writing a checkpoint where it could.
public struct RunStopped: Error, CustomStringConvertible {
    public let reason: any Error
    /// The checkpoint written before stopping, if one could be.
    public let checkpoint: URL?
    /// Why no checkpoint could be written.
    public let checkpointError: (any Error)?
    public let runDirectory: URL

    public var description: String {
        if let checkpoint {
            return "\(reason)\nsaved \(checkpoint.lastPathComponent); continue with: reverie train --resume \(runDirectory.path)"
        }
        return "\(reason)\nno checkpoint could be written (\(checkpointError.map { "\($0)" } ?? "unknown")); "
            + "the newest one in \(runDirectory.appendingPathComponent("checkpoints").path) is intact: reverie train --resume \(runDirectory.path)"
    }
}

/// A run-folder file that could not be written, with the space left on its disk.
public struct RunFileError: Error, CustomStringConvertible {
    public let url: URL
    public let underlying: any Error

    public var description: String {
        let reason = (underlying as NSError).userInfo[NSUnderlyingErrorKey].map { ($0 as? NSError)?.localizedDescription ?? "\($0)" }
            ?? String(describing: underlying)
        return "cannot write \(url.path): \(reason)" + (Self.freeSpace(at: url).map { " (\($0) free on its disk)" } ?? "")
    }

    /// Free space on the file system holding `url` (or its nearest existing folder), readable.
    static func freeSpace(at url: URL) -> String? {
        var path = url
        while !FileManager.default.fileExists(atPath: path.path) && path.pathComponents.count > 1 { path = path.deletingLastPathComponent() }
        var stats = statvfs()
        guard statvfs(path.path, &stats) == 0 else { return nil }
        let bytes = Double(stats.f_bavail) * Double(stats.f_frsize)
        let (gigabyte, megabyte) = (1_073_741_824.0, 1_048_576.0)
        if bytes >= gigabyte { return String(format: "%.1f GB", bytes / gigabyte) }
        if bytes >= megabyte { return String(format: "%.1f MB", bytes / megabyte) }
        return "\(Int(bytes)) bytes"
    }
}
