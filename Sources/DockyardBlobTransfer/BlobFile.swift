import DockyardReferences
import DockyardTransport
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Stores a blob's bytes in a file: verified, then renamed into place.
///
/// This is the one place where blob bytes become a file. ``BlobClient/download(_:size:to:progress:)`` and the
/// OCI layout of the `Dockyard` module both store through it.
public enum BlobFile {
    /// Writes every byte of `source` to `fileURL`, verifying digest and size before the file becomes visible.
    ///
    /// The bytes go to a temporary file beside the destination (`.<name>.partial-<uuid>`); only when digest and
    /// size match is it renamed to `fileURL`. On any failure, cancellation included, the temporary file is
    /// removed. A source that verifies its bytes itself (``BlobUploadSource/verifiesDigest``) is not hashed a
    /// second time.
    ///
    /// - Parameters:
    ///   - source: Where the bytes come from.
    ///   - digest: The digest they must hash to.
    ///   - fileURL: Where the blob goes; its directory must exist.
    ///   - synchronize: Whether to flush the file to disk before the rename.
    ///   - progressInterval: The shortest interval between two progress events.
    ///   - progress: Receives ``TransferEvent``s, from ``TransferEvent/started(digest:size:)`` to
    ///     ``TransferEvent/finished(digest:size:)``.
    /// - Returns: The number of bytes written.
    /// - Throws: ``BlobTransferError`` (digest or size mismatch, file system) or the source's error.
    @discardableResult
    public static func write(
        _ source: BlobUploadSource,
        digest: ContentDigest,
        to fileURL: URL,
        synchronize: Bool = false,
        progressInterval: Duration = .milliseconds(100),
        progress: TransferEventHandler? = nil
    ) async throws -> Int64 {
        progress?(.started(digest: digest, size: source.size))
        var hasher = source.verifiesDigest ? nil : DigestHasher(algorithm: digest.algorithm)
        var coalescer = ProgressCoalescer(interval: progressInterval)
        let written = try await store(source.fileBytes(), at: fileURL, synchronize: synchronize) { buffer, total in
            if hasher != nil { buffer.withUnsafeReadableBytes { hasher?.update(bytes: $0) } }
            if let progress, coalescer.shouldReport(total) {
                progress(.progressed(digest: digest, completed: total, total: source.size))
            }
        } verify: { written in
            guard written == source.size else {
                throw BlobTransferError(
                    .sizeMismatch, message: "blob \(digest) has \(written) bytes, not the \(source.size) expected; nothing was kept",
                    digest: digest)
            }
            if let actual = hasher?.finalize(), actual != digest {
                throw BlobTransferError(
                    .digestMismatch, message: "the bytes given for blob \(digest) hash to \(actual); nothing was kept",
                    digest: digest)
            }
        }
        if let progress {
            if coalescer.shouldReport(written, force: true) {
                progress(.progressed(digest: digest, completed: written, total: source.size))
            }
            progress(.verified(digest: digest, size: written))
            progress(.finished(digest: digest, size: written))
        }
        return written
    }

    /// Writes a byte sequence to a temporary file beside `fileURL` and renames it into place once `verify` accepts
    /// the byte count; removes the temporary file on any failure.
    static func store(
        _ bytes: some AsyncSequence<ByteBuffer, any Error>,
        at fileURL: URL,
        synchronize: Bool,
        observe: (ByteBuffer, Int64) -> Void = { _, _ in },
        verify: (Int64) throws -> Void = { _ in }
    ) async throws -> Int64 {
        let file: StagedFile
        do {
            file = try StagedFile(
                replacing: fileURL, temporaryName: ".\(fileURL.lastPathComponent).partial-\(UUID().uuidString)",
                mode: 0o644)
        } catch {
            throw BlobTransferError.fileSystem(error.code, "creating", URL(fileURLWithPath: error.path), digest: nil)
        }
        defer { file.discard() }
        var written: Int64 = 0
        do {
            for try await buffer in bytes {
                try buffer.withUnsafeReadableBytes { try file.write($0) }
                written += Int64(buffer.readableBytes)
                observe(buffer, written)
            }
            try verify(written)
            if synchronize { try file.synchronize() }
            try file.commit()
        } catch let failure as StagedFile.Failure {
            throw BlobTransferError.staging(failure, target: fileURL)
        }
        return written
    }
}

extension BlobTransferError {
    /// The error for a failed step of writing a blob file.
    static func staging(_ failure: StagedFile.Failure, target: URL) -> BlobTransferError {
        let action = switch failure.step {
        case .create: "creating"
        case .write: "writing"
        case .flush: "flushing"
        case .close: "closing"
        case .rename: "moving the blob into place at"
        }
        return .fileSystem(failure.code, action, URL(fileURLWithPath: failure.path), digest: nil)
    }
}
