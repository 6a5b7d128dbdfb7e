import DockyardReferences
import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1

extension BlobClient {
    /// Streams a blob's bytes, verifying its digest and size as they flow.
    ///
    /// Nothing is requested until the sequence is iterated, and the next bytes are read only when the iterator
    /// asks, so a slow consumer slows the download (backpressure). When the connection breaks, the stream asks
    /// again with `Range: bytes=<received>-` and continues where it stopped, keeping the running hash; a server
    /// that ignores `Range` sends the whole blob again, and the part already delivered is skipped.
    ///
    /// - Important: The bytes a consumer sees are not yet verified: the last call to `next()` throws
    ///   ``BlobTransferError`` (``BlobTransferError/Code/digestMismatch`` or ``BlobTransferError/Code/sizeMismatch``)
    ///   instead of returning `nil` when they do not match. Make nothing visible before the sequence ends.
    ///
    /// - Parameters:
    ///   - digest: The blob's digest.
    ///   - size: The expected size from the descriptor, if known; more bytes than this fail at once.
    ///   - progress: Receives ``TransferEvent``s.
    /// - Returns: A sequence of byte buffers.
    public func stream(_ digest: ContentDigest, size: Int64? = nil, progress: TransferEventHandler? = nil) -> BlobStream {
        BlobStream(client: self, digest: digest, expectedSize: size, range: nil, progress: progress)
    }

    /// Streams part of a blob, unverified (a part cannot be checked against the blob's digest).
    ///
    /// - Parameters:
    ///   - digest: The blob's digest.
    ///   - range: The half-open byte range to read.
    /// - Returns: A sequence of byte buffers holding exactly `range`.
    public func stream(_ digest: ContentDigest, range: Range<Int64>) -> BlobStream {
        BlobStream(client: self, digest: digest, expectedSize: Int64(range.count), range: range, progress: nil)
    }
}

/// A blob's bytes as an `AsyncSequence` of `ByteBuffer`, read on demand, verified at the end, resumed when the
/// connection breaks. Made by ``BlobClient/stream(_:size:progress:)``.
public struct BlobStream: AsyncSequence, Sendable {
    /// A piece of the blob, in order.
    public typealias Element = ByteBuffer

    let client: BlobClient
    let digest: ContentDigest
    let expectedSize: Int64?
    let range: Range<Int64>?
    let progress: TransferEventHandler?

    /// Makes the iterator; each iterator downloads the blob afresh.
    ///
    /// - Returns: A new iterator, which sends its first request when first asked for bytes.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(stream: self)
    }

    /// The iterator of a ``BlobStream``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let stream: BlobStream
        private var hasher: DigestHasher?
        private var body: ByteBufferSequence.AsyncIterator?
        /// Bytes delivered to the consumer so far.
        private var received: Int64 = 0
        /// Bytes of the current response to drop because they were delivered before (a 200 after a resume).
        private var skip: Int64 = 0
        private var resumes = 0
        private var started = false
        private var done = false
        private var coalescer: ProgressCoalescer

        init(stream: BlobStream) {
            self.stream = stream
            self.coalescer = ProgressCoalescer(interval: stream.client.configuration.progressInterval)
        }

        /// Returns the next bytes, or `nil` once every byte has arrived and matched.
        ///
        /// - Returns: The next buffer of the blob, or `nil` at its verified end.
        /// - Throws: ``BlobTransferError`` on a mismatch, a refused request or a connection that cannot be resumed.
        public mutating func next() async throws -> ByteBuffer? {
            while !done {
                try Task.checkCancellation()
                if body == nil {
                    try await open()
                }
                guard var current = body else { continue }
                let chunk: ByteBuffer?
                do {
                    chunk = try await current.next()
                    body = current
                } catch let error as BlobTransferError {
                    throw error
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    body = nil
                    try resumeOrThrow(error)
                    continue
                }
                guard var buffer = chunk else {
                    body = nil
                    if let expected = stream.expectedSize, received < expected {
                        try resumeOrThrow(nil)
                        continue
                    }
                    try finish()
                    return nil
                }
                if skip > 0 {
                    let dropped = Swift.min(skip, Int64(buffer.readableBytes))
                    buffer.moveReaderIndex(forwardBy: Int(dropped))
                    skip -= dropped
                    if buffer.readableBytes == 0 { continue }
                }
                if stream.range != nil, let expected = stream.expectedSize, received + Int64(buffer.readableBytes) > expected {
                    // A server that ignored the range sends more than asked for: keep only the range.
                    buffer = buffer.getSlice(at: buffer.readerIndex, length: Int(expected - received)) ?? ByteBuffer()
                    body = nil
                    received += Int64(buffer.readableBytes)
                    done = true
                    return buffer.readableBytes > 0 ? buffer : nil
                }
                let count = Int64(buffer.readableBytes)
                if let expected = stream.expectedSize, received + count > expected {
                    done = true
                    throw BlobTransferError(
                        .sizeMismatch,
                        message: "blob \(stream.digest) is larger than the expected \(expected) bytes; the descriptor or the registry is wrong",
                        digest: stream.digest, url: BlobProtocol.blobURL(stream.client.repositoryURL, stream.digest))
                }
                if hasher != nil {
                    buffer.withUnsafeReadableBytes { bytes in hasher?.update(bytes: bytes) }
                }
                received += count
                if let progress = stream.progress, coalescer.shouldReport(received) {
                    progress(.progressed(digest: stream.digest, completed: received, total: stream.expectedSize))
                }
                return buffer
            }
            return nil
        }

        /// Sends the GET (ranged when resuming) and checks the response head.
        private mutating func open() async throws {
            let url = BlobProtocol.blobURL(stream.client.repositoryURL, stream.digest)
            if !started {
                started = true
                if stream.range == nil { hasher = BlobClient.hasher(for: stream.digest) }
                stream.progress?(.started(digest: stream.digest, size: stream.expectedSize))
            }
            let base = stream.range?.lowerBound ?? 0
            var request = TransportRequest(method: .GET, url: url)
            if let range = stream.range {
                request.headers.add(name: "Range", value: BlobProtocol.rangeHeader(for: (base + received)..<range.upperBound))
            } else if received > 0 {
                request.headers.add(name: "Range", value: BlobProtocol.rangeHeader(from: received))
            }
            let response: TransportResponse
            do {
                response = try await stream.client.transport.send(request)
            } catch let error as BlobTransferError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                guard received > 0 else { throw error }
                try resumeOrThrow(error)
                return
            }
            switch response.status.code {
            case 200:
                // A full body: either the first request or a server that ignored Range.
                skip = base + received
                if let length = response.headers.first(name: "Content-Length").flatMap({ BlobProtocol.decimal(Substring($0)) }),
                    stream.range == nil, let expected = stream.expectedSize, length != expected
                {
                    await response.body.drain()
                    done = true
                    throw BlobTransferError(
                        .sizeMismatch,
                        message: "the registry sends \(length) bytes for blob \(stream.digest), but \(expected) are expected; the descriptor or the registry is wrong",
                        digest: stream.digest, status: 200, url: url)
                }
            case 206:
                let first = response.headers.first(name: "Content-Range").flatMap(BlobProtocol.contentRangeStart)?.first
                guard let first, first == base + received else {
                    await response.body.drain()
                    done = true
                    throw BlobTransferError(
                        .invalidResponse,
                        message: "the registry answered a request for bytes from \(base + received) of blob \(stream.digest) with a different range",
                        digest: stream.digest, status: 206, url: url)
                }
                skip = 0
            default:
                var buffer = try await response.body.collectPrefix(64 << 10)
                done = true
                throw BlobTransferError.response(
                    status: Int(response.status.code), url: url,
                    body: buffer.readBytes(length: buffer.readableBytes) ?? [],
                    digest: stream.digest, doing: "downloading blob")
            }
            body = response.body.makeAsyncIterator()
        }

        /// Counts a resume attempt, or throws when none are left.
        private mutating func resumeOrThrow(_ error: (any Error)?) throws {
            resumes += 1
            guard resumes <= stream.client.configuration.maxResumeAttempts else {
                done = true
                let reason = error.map { ": \(String(describing: $0))" } ?? ": the body ended early"
                throw BlobTransferError(
                    .resumeFailed,
                    message: "downloading blob \(stream.digest) broke off after \(received) bytes \(resumes - 1) times\(reason); check the network and try again",
                    digest: stream.digest, url: BlobProtocol.blobURL(stream.client.repositoryURL, stream.digest),
                    underlying: error)
            }
            stream.progress?(.resumed(digest: stream.digest, offset: received))
        }

        /// Checks size and digest at the end.
        private mutating func finish() throws {
            done = true
            let url = BlobProtocol.blobURL(stream.client.repositoryURL, stream.digest)
            if let expected = stream.expectedSize, received != expected {
                throw BlobTransferError(
                    .sizeMismatch,
                    message: "blob \(stream.digest) ended after \(received) of \(expected) bytes; the descriptor or the registry is wrong",
                    digest: stream.digest, url: url)
            }
            if let hasher {
                let actual = hasher.finalize()
                guard actual == stream.digest else {
                    throw BlobTransferError(
                        .digestMismatch,
                        message: "blob \(stream.digest) arrived with digest \(actual): the bytes were corrupted in transit or the registry is broken; nothing was kept",
                        digest: stream.digest, url: url)
                }
            }
            if let progress = stream.progress {
                if coalescer.shouldReport(received, force: true) {
                    progress(.progressed(digest: stream.digest, completed: received, total: stream.expectedSize))
                }
                progress(.verified(digest: stream.digest, size: received))
            }
        }
    }
}
