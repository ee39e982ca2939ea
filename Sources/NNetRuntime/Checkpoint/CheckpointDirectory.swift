// A `checkpoint:` directory: numbered checkpoint files, the newest valid one for `--resume`
// (corrupt ones are reported and skipped), and pruning to the newest `keep`. Stage: runtime.

import Foundation

public final class CheckpointDirectory {
    public let path: String
    /// The sequence number the next written file gets.
    private var nextSequence: Int

    static let prefix = "checkpoint-"
    static let suffix = ".ckpt"

    /// Opens `path`, creating it (and its parents) if needed, and removes temporary files left by
    /// a write that was killed. Throws CheckpointError when the directory cannot be created.
    public init(_ path: String, create: Bool = true) throws {
        self.path = path
        if create {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw CheckpointError(path: path, "cannot create the checkpoint directory: \(error.localizedDescription)")
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            for name in names where name.hasPrefix(Self.prefix) && name.hasSuffix(Self.suffix + ".tmp") {
                try? FileManager.default.removeItem(atPath: path + "/" + name)
            }
        }
        nextSequence = 1
        nextSequence = (files().last?.sequence ?? 0) + 1
    }

    /// Checkpoint files, oldest (lowest sequence number) first.
    public func files() -> [(sequence: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix(Self.prefix), name.hasSuffix(Self.suffix),
                  let number = Int(name.dropFirst(Self.prefix.count).dropLast(Self.suffix.count)) else { return nil }
            return (number, path + "/" + name)
        }.sorted { $0.0 < $1.0 }
    }

    /// The result of looking for the checkpoint to resume from.
    public struct Search {
        /// The newest checkpoint that reads back intact; nil when there is none.
        public var found: (checkpoint: Checkpoint, path: String)?
        /// Newer files that failed to read (path and reason, newest first).
        public var rejected: [(path: String, reason: String)] = []
    }

    /// Tries the files newest first and stops at the first one that reads back intact.
    public func newest() -> Search {
        var search = Search()
        for file in files().reversed() {
            do {
                search.found = (try CheckpointFile.read(from: file.path), file.path)
                return search
            } catch let error as CheckpointError {
                search.rejected.append((file.path, error.message))
            } catch {
                search.rejected.append((file.path, "\(error)"))
            }
        }
        return search
    }

    /// Writes `checkpoint` as the newest file, then deletes all but the newest `keep`.
    /// Refuses a checkpoint holding NaN or infinity, so the last good one is never displaced.
    @discardableResult
    public func write(_ checkpoint: Checkpoint, keep: Int) throws -> String {
        guard checkpoint.isFinite else {
            throw CheckpointError(path: path, "not saved: the state holds NaN or infinite values")
        }
        let name = Self.prefix + String(format: "%06d", nextSequence) + Self.suffix
        let file = path + "/" + name
        try CheckpointFile.write(checkpoint, to: file)
        nextSequence += 1
        let all = files()
        for old in all.dropLast(max(keep, 1)) { try? FileManager.default.removeItem(atPath: old.path) }
        return file
    }

    /// `write`, for a training loop: the outcome goes to `report` as a training event (`saved`
    /// makes the success event from the path) and comes back as a result; a checkpoint that
    /// cannot be written never stops training.
    func save(_ checkpoint: Checkpoint, keep: Int, report: (TrainingEvent) -> Void,
              saved: (String) -> TrainingEvent) -> Result<String, CheckpointError> {
        do {
            let file = try write(checkpoint, keep: keep)
            report(saved(file))
            return .success(file)
        } catch {
            let failure = error as? CheckpointError ?? CheckpointError(path: path, "\(error)")
            report(.checkpointFailed(failure))
            return .failure(failure)
        }
    }
}
