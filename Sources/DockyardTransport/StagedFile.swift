import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A temporary file beside a target, written and then renamed over it: the SDK's one write-then-rename step,
/// shared by the files that hold secrets (`SecretFile` in DockyardAuth) and blob files (`BlobFile` in
/// DockyardBlobTransfer).
///
/// The temporary file is created with `O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC` and the mode given, so that no other
/// file or link is ever opened in its place and its bytes have their permissions from the first one. Until
/// ``commit(synchronizingDirectory:)`` has renamed it over the target, ``discard()`` (or the last reference going
/// away) closes and removes it, so a failure never leaves a partial file at the target.
///
/// Each caller turns a ``Failure`` into its own typed error.
package final class StagedFile: @unchecked Sendable {
    // Used by one task at a time.

    /// The step of a staged write that failed.
    package enum Step: Sendable {
        /// Creating the temporary file.
        case create
        /// Writing to it.
        case write
        /// Flushing it to disk (`fsync`).
        case flush
        /// Closing it.
        case close
        /// Renaming it over the target.
        case rename
    }

    /// A system call of a staged write failed.
    package struct Failure: Error, Sendable {
        /// The step that failed.
        package let step: Step
        /// The `errno` of the failed call.
        package let code: Int32
        /// The file the step worked on: the temporary file, or the target for ``Step/rename``.
        package let path: String

        /// The system's explanation of ``code``.
        package var reason: String { String(cString: strerror(code)) }

        /// ``code`` as a `POSIXError`, to keep as an underlying error.
        package var posixError: POSIXError { POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO) }
    }

    /// The temporary file.
    package let url: URL
    /// The file it replaces once committed.
    package let target: URL
    /// The open descriptor of the temporary file (to set its owner or mode), or -1 once closed.
    package private(set) var descriptor: Int32
    /// Whether the temporary file is gone: renamed into place or removed.
    private var settled = false

    /// Creates the temporary file `temporaryName` in the target's directory.
    ///
    /// - Parameters:
    ///   - target: The file to replace on commit; its directory must exist.
    ///   - temporaryName: The temporary file's name, unique (it is created exclusively).
    ///   - mode: The permissions the file is created with, e.g. `0o600` for a secret.
    /// - Throws: ``Failure`` at ``Step/create``.
    package init(replacing target: URL, temporaryName: String, mode: mode_t) throws(Failure) {
        self.target = target
        self.url = target.deletingLastPathComponent().appendingPathComponent(temporaryName)
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw Failure(step: .create, code: errno, path: url.path) }
    }

    /// Writes every byte, retrying after interruptions and short writes.
    ///
    /// - Parameter bytes: The bytes.
    /// - Throws: ``Failure`` at ``Step/write``.
    package func write(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
        guard var pointer = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let count = posixWrite(descriptor, pointer, remaining)
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(step: .write, code: errno, path: url.path)
            }
            pointer += count
            remaining -= count
        }
    }

    /// Flushes the file to disk.
    ///
    /// - Throws: ``Failure`` at ``Step/flush``.
    package func synchronize() throws(Failure) {
        guard fsync(descriptor) == 0 else { throw Failure(step: .flush, code: errno, path: url.path) }
    }

    /// Closes the file and renames it over the target.
    ///
    /// - Parameter synchronizingDirectory: Whether to flush the directory afterwards, so that the rename itself
    ///   survives a crash; a failure of that flush loses nothing already in place and is ignored.
    /// - Throws: ``Failure`` at ``Step/close`` or ``Step/rename``; the temporary file is then removed by
    ///   ``discard()``.
    package func commit(synchronizingDirectory: Bool = false) throws(Failure) {
        let fd = descriptor
        descriptor = -1
        guard closeDescriptor(fd) == 0 else { throw Failure(step: .close, code: errno, path: url.path) }
        guard rename(url.path, target.path) == 0 else {
            throw Failure(step: .rename, code: errno, path: target.path)
        }
        settled = true
        guard synchronizingDirectory else { return }
        let directory = open(target.deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            _ = closeDescriptor(directory)
        }
    }

    /// Closes the file and, unless it was committed, removes it. Calling it again does nothing.
    package func discard() {
        if descriptor >= 0 {
            _ = closeDescriptor(descriptor)
            descriptor = -1
        }
        if !settled {
            settled = true
            unlink(url.path)
        }
    }

    deinit { discard() }
}

/// `write(2)`, out of reach of ``StagedFile/write(_:)``'s name.
@inline(__always)
private func posixWrite(_ descriptor: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, pointer, count)
}

/// `close(2)`, out of reach of the names of the types that close files.
@inline(__always)
private func closeDescriptor(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}
