import DockyardTransport
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files that hold secrets (`config.json`, the Docker Hub session) so that no other user can ever read them.
///
/// ``write(_:to:)`` opens a temporary file beside the target with `O_CREAT|O_EXCL|O_NOFOLLOW` and mode `0600`, so
/// the bytes are private from the first one; writes them, gives the file the mode and owner of the file it replaces
/// (as the docker CLI keeps them), `fsync`s it and renames it over the target. A symbolic link at the target is
/// followed, as the docker CLI follows it. Any failure, including one to set the mode or owner, is an error and
/// leaves the old file as it was.
public enum SecretFile {
    /// Writes `data` to `fileURL` atomically and privately.
    ///
    /// - Parameters:
    ///   - data: The contents.
    ///   - fileURL: The file; its directory is created with mode `0700` when missing.
    /// - Throws: ``AuthError`` with code ``AuthError/Code/configAccessFailed``, saying which step failed.
    public static func write(_ data: Data, to fileURL: URL) throws(AuthError) {
        let target = fileURL.resolvingSymlinksInPath()
        let directory = target.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw AuthError(
                .configAccessFailed, message: "could not create \(directory.path); check its permissions",
                underlying: error)
        }

        // What the replaced file had: its mode and owner are kept (regular files only).
        var existing = stat()
        let replacing = lstat(target.path, &existing) == 0 && (existing.st_mode & S_IFMT) == S_IFREG

        do {
            let file = try StagedFile(
                replacing: target, temporaryName: ".\(target.lastPathComponent).\(UUID().uuidString).tmp", mode: 0o600)
            defer { file.discard() }
            try data.withUnsafeBytes { try file.write($0) }
            if replacing {
                let mode = existing.st_mode & 0o7777
                if mode != 0o600, fchmod(file.descriptor, mode) != 0 {
                    throw failure("could not give \(file.url.path) the mode of \(target.path)", errno)
                }
                if existing.st_uid != geteuid() || existing.st_gid != getegid(),
                    fchown(file.descriptor, existing.st_uid, existing.st_gid) != 0
                {
                    throw failure("could not give \(file.url.path) the owner of \(target.path)", errno)
                }
            }
            try file.synchronize()
            try file.commit(synchronizingDirectory: true)
        } catch let error as AuthError {
            throw error
        } catch let error as StagedFile.Failure {
            let what = switch error.step {
            case .create: "could not create \(error.path)"
            case .write: "could not write \(error.path)"
            case .flush: "could not flush \(error.path)"
            case .close: "could not close \(error.path)"
            case .rename: "could not replace \(error.path)"
            }
            throw failure(what, error.code)
        } catch {
            throw AuthError(.configAccessFailed, message: "could not write \(target.path): \(error)", underlying: error)
        }
    }

    private static func failure(_ what: String, _ code: Int32) -> AuthError {
        AuthError(
            .configAccessFailed, message: "\(what): \(String(cString: strerror(code))); the file was left as it was",
            underlying: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO))
    }
}
