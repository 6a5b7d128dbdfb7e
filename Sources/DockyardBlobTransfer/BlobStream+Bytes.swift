import Foundation
import NIOCore

extension BlobStream {
    /// Hands each chunk of the blob to `body` as raw bytes, without copying, as they arrive; for callers that
    /// write them somewhere (a file descriptor, a hasher) and need no NIO type.
    ///
    /// The same contract as iterating the stream holds: the bytes are verified only when the last chunk has
    /// passed, and a mismatch throws after `body` saw every chunk.
    ///
    /// - Parameter body: Called once per chunk; the pointer is valid only during the call.
    /// - Throws: ``BlobTransferError`` (digest or size mismatch, refused request), `TransportError`, or what `body`
    ///   throws.
    public func forEachChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) async throws {
        for try await buffer in self {
            try buffer.withUnsafeReadableBytes { try body($0) }
        }
    }

    /// Reads the whole blob into memory, for small blobs (a configuration, a manifest-sized artifact).
    ///
    /// - Parameter limit: The most bytes accepted.
    /// - Returns: The verified bytes.
    /// - Throws: ``BlobTransferError`` with code ``BlobTransferError/Code/sizeMismatch`` when the blob is larger
    ///   than `limit`, or any error of the stream.
    public func collectBytes(upTo limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await buffer in self {
            guard bytes.count + buffer.readableBytes <= limit else {
                throw BlobTransferError(
                    .sizeMismatch,
                    message: "the blob is larger than the \(limit) bytes the caller accepts; stream it instead")
            }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        return bytes
    }

    /// Reads the whole blob into `Data`, for small blobs; see ``collectBytes(upTo:)``.
    ///
    /// - Parameter limit: The most bytes accepted.
    /// - Returns: The verified bytes.
    /// - Throws: As ``collectBytes(upTo:)``.
    public func collectData(upTo limit: Int) async throws -> Data {
        Data(try await collectBytes(upTo: limit))
    }
}
