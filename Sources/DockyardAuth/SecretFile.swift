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

        let temporary = directory.appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw failure("could not create \(temporary.path)", errno)
        }
        var closed = false
        var renamed = false
        defer {
            if !closed { _ = close(descriptor) }
            if !renamed { unlink(temporary.path) }
        }

        let written: Int32? = data.withUnsafeBytes { bytes in
            guard var pointer = bytes.baseAddress else { return nil }
            var remaining = bytes.count
            while remaining > 0 {
                let count = secretFileWrite(descriptor, pointer, remaining)
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                pointer += count
                remaining -= count
            }
            return nil
        }
        if let written { throw failure("could not write \(temporary.path)", written) }

        if replacing {
            let mode = existing.st_mode & 0o7777
            if mode != 0o600, fchmod(descriptor, mode) != 0 {
                throw failure("could not give \(temporary.path) the mode of \(target.path)", errno)
            }
            if existing.st_uid != geteuid() || existing.st_gid != getegid(),
                fchown(descriptor, existing.st_uid, existing.st_gid) != 0
            {
                throw failure("could not give \(temporary.path) the owner of \(target.path)", errno)
            }
        }
        guard fsync(descriptor) == 0 else { throw failure("could not flush \(temporary.path)", errno) }
        closed = true
        guard close(descriptor) == 0 else { throw failure("could not close \(temporary.path)", errno) }
        guard rename(temporary.path, target.path) == 0 else {
            throw failure("could not replace \(target.path)", errno)
        }
        renamed = true
        // The rename is durable once the directory is flushed; a failure here loses nothing already in place.
        let directoryDescriptor = open(directory.path, O_RDONLY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            _ = close(directoryDescriptor)
        }
    }

    private static func failure(_ what: String, _ code: Int32) -> AuthError {
        AuthError(
            .configAccessFailed, message: "\(what): \(String(cString: strerror(code))); the file was left as it was",
            underlying: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO))
    }
}

/// `write(2)`, out of reach of ``SecretFile/write(_:to:)``'s name.
private func secretFileWrite(_ descriptor: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, pointer, count)
}
