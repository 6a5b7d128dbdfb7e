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

extension BlobClient {
    /// Downloads a blob to a file, verified, resumed after broken connections, and placed atomically.
    ///
    /// The bytes go to a temporary file beside the destination (`.<name>.partial-<uuid>`), hashed as they
    /// arrive; only when digest and size match is the file renamed to `fileURL`, replacing any file there. On any
    /// failure, cancellation included, the temporary file is removed, so `fileURL` never holds unverified bytes.
    ///
    /// - Parameters:
    ///   - digest: The blob's digest.
    ///   - size: The expected size from the descriptor, if known.
    ///   - fileURL: Where the blob goes; its directory must exist.
    ///   - progress: Receives ``TransferEvent``s, ending with ``TransferEvent/finished(digest:size:)``.
    /// - Returns: The blob's digest and size.
    /// - Throws: ``BlobTransferError`` (mismatch, refusal, file system) or the transport's error.
    @discardableResult
    public func download(
        _ digest: ContentDigest,
        size: Int64? = nil,
        to fileURL: URL,
        progress: TransferEventHandler? = nil
    ) async throws -> BlobInfo {
        let written = try await BlobFile.store(
            fileStream(digest, size: size, progress: progress), at: fileURL, synchronize: configuration.synchronizeFiles)
        progress?(.finished(digest: digest, size: written))
        return BlobInfo(digest: digest, size: written)
    }

    /// Downloads a blob to a file, reporting progress as a stream of events.
    ///
    /// The download runs while the stream is iterated and is cancelled when the consumer stops listening.
    ///
    /// - Parameters:
    ///   - digest: The blob's digest.
    ///   - size: The expected size, if known.
    ///   - fileURL: Where the blob goes.
    /// - Returns: The events of ``download(_:size:to:progress:)``; the stream throws its error.
    public func downloadEvents(
        _ digest: ContentDigest,
        size: Int64? = nil,
        to fileURL: URL
    ) -> AsyncThrowingStream<TransferEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await download(digest, size: size, to: fileURL) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

@inline(__always)
func closeDescriptor(_ fd: Int32) -> Int32 {
    close(fd)
}

extension BlobTransferError {
    /// A file-system error with the system's explanation.
    static func fileSystem(_ code: Int32, _ action: String, _ url: URL, digest: ContentDigest?) -> BlobTransferError {
        let reason = String(cString: strerror(code))
        return BlobTransferError(
            .fileSystem,
            message: "\(action) \(url.path) failed: \(reason)",
            digest: digest,
            underlying: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO))
    }
}
