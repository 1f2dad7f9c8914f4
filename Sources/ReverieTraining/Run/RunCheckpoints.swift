import Foundation
import ReverieNN

/// A run folder's checkpoints as a resume finds them: listed by step, the
/// leftovers of interrupted writes removed, damaged files told apart from good ones.
extension Trainer {
    /// Checkpoint files of a run, oldest first.
    public static func checkpoints(in runDirectory: URL) throws -> [(step: Int, url: URL)] {
        let dir = runDirectory.appendingPathComponent("checkpoints")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("step-"), name.hasSuffix(".safetensors"),
                  let step = Int(name.dropFirst(5).dropLast(12)) else { return nil }
            return (step, dir.appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }
    }

    /// Temporary files of checkpoint writes that a crash interrupted (`.step-….tmp`).
    static func removeInterruptedWrites(in runDirectory: URL, log: (String) -> Void) {
        let dir = runDirectory.appendingPathComponent("checkpoints")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasPrefix(".") && name.hasSuffix(".tmp") {
            if (try? FileManager.default.removeItem(at: dir.appendingPathComponent(name))) != nil {
                log("removed \(name), left by a checkpoint write that was interrupted")
            }
        }
    }

    /// The newest checkpoint that reads back whole and finite; a damaged newer one is an error
    /// naming the good one, or with `latestGood` is renamed `*.damaged` and skipped.
    static func newestGoodCheckpoint(in runDirectory: URL, latestGood: Bool, log: (String) -> Void) throws -> ((step: Int, url: URL), Checkpoint) {
        let all = try checkpoints(in: runDirectory)
        guard !all.isEmpty else { throw ConfigError("\(runDirectory.path) has no checkpoint to resume from") }
        var damaged: [(url: URL, error: CheckpointError)] = []
        for candidate in all.reversed() {
            do {
                let checkpoint = try Checkpoint(contentsOf: candidate.url)
                guard !damaged.isEmpty else { return (candidate, checkpoint) }
                guard latestGood else {
                    throw ConfigError("\(damaged[0].error.description).\n"
                                      + "The newest good checkpoint is \(candidate.url.lastPathComponent) (step \(grouped(candidate.step))): "
                                      + "resume from it with --resume-latest-good (the damaged file\(damaged.count == 1 ? " is" : "s are") kept as *.damaged)")
                }
                for bad in damaged {
                    try FileManager.default.moveItem(at: bad.url, to: bad.url.appendingPathExtension("damaged"))
                    log("\(bad.error.description): set aside as \(bad.url.lastPathComponent).damaged")
                }
                return (candidate, checkpoint)
            } catch let error as CheckpointError {
                damaged.append((candidate.url, error))
            }
        }
        throw ConfigError("no checkpoint of \(runDirectory.path) can be read: " + damaged.map(\.error.description).joined(separator: "; "))
    }
}
