import DockyardReferences
import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1

/// What an upload did.
public struct UploadResult: Sendable, Hashable {
    /// How the blob got to the registry.
    public enum Outcome: Sendable, Hashable {
        /// The bytes were sent.
        case uploaded
        /// The registry already had the blob.
        case skipped
        /// The registry mounted the blob from another repository.
        case mounted(from: Repository)
    }

    /// The blob's digest.
    public var digest: ContentDigest
    /// The blob's size in bytes.
    public var size: Int64
    /// How the blob got there.
    public var outcome: Outcome
}

extension BlobClient {
    /// Uploads a blob, unless the repository already has it; mounts it from another repository when possible.
    ///
    /// The flow follows the OCI distribution spec ("Pushing blobs"): `HEAD` to skip a blob that exists; with
    /// `mountingFrom`, `POST …/blobs/uploads/?mount=<digest>&from=<repository>` (201 means mounted, 202 opens
    /// an ordinary upload session instead); otherwise `POST …/blobs/uploads/`. Then, per
    /// ``Configuration/uploadStrategy``, one streaming `PUT ?digest=` or `PATCH` chunks and a closing `PUT`.
    /// When a request breaks, the registry is asked how much it holds (`GET` on the session) and the upload
    /// continues from there. When the registry has dropped the session (404 `BLOB_UPLOAD_UNKNOWN` or
    /// `BLOB_UPLOAD_INVALID`, to that `GET` or to a later `PATCH` or `PUT`), a new session starts from zero. Each
    /// break and each dropped session counts against ``Configuration/maxResumeAttempts``. `Location` headers may
    /// be relative, absolute, or on another host.
    ///
    /// - Parameters:
    ///   - digest: The blob's digest; the registry checks it.
    ///   - source: Where the bytes come from; read as the upload goes, never whole.
    ///   - mountingFrom: A repository of the same registry that has the blob, to mount it from.
    ///   - progress: Receives ``TransferEvent``s.
    /// - Returns: What happened.
    /// - Throws: ``BlobTransferError`` (refusal, digest rejected, unusable answers, resume exhausted), the
    ///   source's error, or the transport's.
    @discardableResult
    public func upload(
        _ digest: ContentDigest,
        from source: BlobUploadSource,
        mountingFrom: Repository? = nil,
        progress: TransferEventHandler? = nil
    ) async throws -> UploadResult {
        progress?(.started(digest: digest, size: source.size))
        if let existing = try await exists(digest) {
            let size = existing.size >= 0 ? existing.size : source.size
            progress?(.skipped(digest: digest, size: size))
            return UploadResult(digest: digest, size: size, outcome: .skipped)
        }
        let session: UploadSession
        if let mountingFrom {
            switch try await startUpload(digest, mountingFrom: mountingFrom) {
            case .mounted:
                progress?(.mounted(digest: digest, size: source.size, from: mountingFrom))
                return UploadResult(digest: digest, size: source.size, outcome: .mounted(from: mountingFrom))
            case .session(let opened):
                session = opened
            }
        } else {
            session = try await openSession(digest)
        }
        try await send(digest, from: source, session: session, progress: progress)
        progress?(.verified(digest: digest, size: source.size))
        progress?(.finished(digest: digest, size: source.size))
        return UploadResult(digest: digest, size: source.size, outcome: .uploaded)
    }

    /// Uploads a local file, streaming it from disk.
    ///
    /// - Parameters:
    ///   - fileURL: The file.
    ///   - digest: The file's digest, if known; otherwise the file is read once to compute it (SHA-256).
    ///   - mountingFrom: A repository of the same registry that may have the blob, to mount it from.
    ///   - progress: Receives ``TransferEvent``s.
    /// - Returns: What happened, with the digest.
    /// - Throws: ``BlobTransferError`` or the transport's error.
    @discardableResult
    public func upload(
        contentsOf fileURL: URL,
        digest: ContentDigest? = nil,
        mountingFrom: Repository? = nil,
        progress: TransferEventHandler? = nil
    ) async throws -> UploadResult {
        let source = try BlobUploadSource.file(fileURL, readSize: configuration.fileReadSize)
        let resolved: ContentDigest
        if let digest {
            resolved = digest
        } else {
            resolved = try await BlobClient.digest(of: source)
        }
        return try await upload(resolved, from: source, mountingFrom: mountingFrom, progress: progress)
    }

    /// Uploads a blob, reporting progress as a stream of events.
    ///
    /// The upload runs while the stream is iterated and is cancelled when the consumer stops listening.
    ///
    /// - Parameters:
    ///   - digest: The blob's digest.
    ///   - source: Where the bytes come from.
    ///   - mountingFrom: A repository of the same registry to mount the blob from.
    /// - Returns: The events of ``upload(_:from:mountingFrom:progress:)``; the stream throws its error.
    public func uploadEvents(
        _ digest: ContentDigest,
        from source: BlobUploadSource,
        mountingFrom: Repository? = nil
    ) -> AsyncThrowingStream<TransferEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await upload(digest, from: source, mountingFrom: mountingFrom) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Computes the digest of a source's bytes by reading it once.
    ///
    /// - Parameters:
    ///   - source: The bytes.
    ///   - algorithm: The digest algorithm; SHA-256 by default.
    /// - Returns: The digest.
    /// - Throws: The source's error.
    public static func digest(of source: BlobUploadSource, algorithm: ContentDigest.Algorithm = .sha256) async throws -> ContentDigest {
        var hasher = DigestHasher(algorithm: algorithm)
        for try await buffer in try source.bytes(in: 0..<source.size) {
            buffer.withUnsafeReadableBytes { hasher.update(bytes: $0) }
        }
        return hasher.finalize()
    }

    /// Asks the registry to mount a blob from another repository of the same registry.
    ///
    /// - Parameters:
    ///   - digest: The blob's digest.
    ///   - repository: The repository that has the blob.
    /// - Returns: `true` when mounted; `false` when the registry refused (the upload session it opened instead
    ///   is cancelled).
    /// - Throws: ``BlobTransferError`` or the transport's error.
    public func mount(_ digest: ContentDigest, from repository: Repository) async throws -> Bool {
        switch try await startUpload(digest, mountingFrom: repository) {
        case .mounted:
            return true
        case .session(let session):
            _ = try? await exchange(TransportRequest(method: .DELETE, url: session.url))
            return false
        }
    }

    // MARK: - Protocol steps

    struct UploadSession {
        var url: URL
        var minimumChunk: Int64?
    }

    enum UploadStart {
        case mounted
        case session(UploadSession)
    }

    private func startUpload(_ digest: ContentDigest, mountingFrom source: Repository) async throws -> UploadStart {
        var url = BlobProtocol.uploadsURL(repositoryURL)
        url = BlobProtocol.appendingQuery(url, name: "mount", value: digest.description)
        url = BlobProtocol.appendingQuery(url, name: "from", value: source.path)
        let answer = try await exchange(TransportRequest(method: .POST, url: url, headers: ["Content-Length": "0"]))
        switch answer.status {
        case 201:
            return .mounted
        case 202:
            return .session(try session(from: answer.headers, requestURL: answer.url))
        default:
            throw BlobTransferError.response(
                status: answer.status, url: url, body: answer.body, digest: digest, doing: "mounting blob")
        }
    }

    private func openSession(_ digest: ContentDigest) async throws -> UploadSession {
        let url = BlobProtocol.uploadsURL(repositoryURL)
        let answer = try await exchange(TransportRequest(method: .POST, url: url, headers: ["Content-Length": "0"]))
        guard answer.status == 202 else {
            throw BlobTransferError.response(
                status: answer.status, url: url, body: answer.body, digest: digest, doing: "starting the upload of blob")
        }
        return try session(from: answer.headers, requestURL: answer.url)
    }

    private func session(from headers: HTTPHeaders, requestURL: URL) throws -> UploadSession {
        guard let location = headers.first(name: "Location") else {
            throw BlobTransferError(
                .invalidResponse,
                message: "the registry opened an upload session without a Location header; it does not follow the distribution spec",
                url: requestURL)
        }
        let minimum = try headers.first(name: "OCI-Chunk-Min-Length").map {
            try BlobProtocol.chunkMinimum($0, url: requestURL)
        }
        return UploadSession(url: try BlobProtocol.resolveLocation(location, against: requestURL), minimumChunk: minimum)
    }

    /// Sends the bytes into an open session and closes it, resuming from the registry's offset after breaks.
    private func send(
        _ digest: ContentDigest,
        from source: BlobUploadSource,
        session initial: UploadSession,
        progress: TransferEventHandler?
    ) async throws {
        var session = initial
        var offset: Int64 = 0
        var failures = 0
        let meter = UploadMeter(digest: digest, total: source.size, interval: configuration.progressInterval, handler: progress)
        let chunkSize: Int64?
        switch configuration.uploadStrategy {
        case .monolithic: chunkSize = nil
        case .chunked(let size): chunkSize = BlobProtocol.chunkSize(configured: size, minimum: initial.minimumChunk)
        }

        while true {
            try Task.checkCancellation()
            do {
                if offset == 0 && chunkSize == nil {
                    // The default: everything in one streaming PUT.
                    meter.reset(to: 0)
                    try await close(session, digest: digest, body: try source.bytes(in: 0..<source.size), length: source.size, meter: meter)
                    meter.finish()
                    return
                }
                let step = chunkSize ?? source.size
                if let chunk = BlobProtocol.nextChunk(offset: offset, total: source.size, chunkSize: step) {
                    meter.reset(to: offset)
                    let answer = try await patch(
                        session, chunk: chunk, body: try source.bytes(in: chunk), meter: meter)
                    switch answer {
                    case .accepted(let next, let nextOffset):
                        session = next
                        offset = nextOffset ?? chunk.upperBound
                    case .rangeRefused:
                        failures += 1
                        try checkFailures(failures, digest: digest, offset: offset, error: nil)
                        offset = try await status(of: &session, digest: digest, total: source.size)
                    }
                    continue
                }
                try await close(session, digest: digest, body: nil, length: 0, meter: meter)
                meter.finish()
                return
            } catch let lost as BlobTransferError where lost.code == .uploadNotFound {
                // The registry dropped the session. After a request body broke off, distribution cancels the session
                // on the first request that finds bytes past the offset of its last Location; a busy registry may
                // take in the broken request's bytes only after it answered the status GET, so that request can be
                // the next PATCH or the closing PUT (or the transport's retry of the broken PUT), not the status GET.
                // Start a new session from zero, as after a 404 to the status GET; this counts as one more attempt.
                failures += 1
                try checkFailures(failures, digest: digest, offset: offset, error: lost)
                session = try await openSession(digest)
                offset = 0
                progress?(.resumed(digest: digest, offset: offset))
            } catch let error as BlobTransferError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                failures += 1
                try checkFailures(failures, digest: digest, offset: offset, error: error)
                do {
                    offset = try await status(of: &session, digest: digest, total: source.size)
                } catch let lost as BlobTransferError where lost.code == .uploadNotFound {
                    // The registry dropped the session with the broken request: start a new one.
                    session = try await openSession(digest)
                    offset = 0
                }
                progress?(.resumed(digest: digest, offset: offset))
            }
        }
    }

    private func checkFailures(_ failures: Int, digest: ContentDigest, offset: Int64, error: (any Error)?) throws {
        guard failures <= configuration.maxResumeAttempts else {
            let reason = error.map { ": \(String(describing: $0))" } ?? ""
            throw BlobTransferError(
                .resumeFailed,
                message: "uploading blob \(digest) broke off at \(offset) bytes \(failures) times\(reason); check the network and try again",
                digest: digest, underlying: error)
        }
    }

    enum PatchAnswer {
        case accepted(UploadSession, offset: Int64?)
        case rangeRefused
    }

    private func patch(_ session: UploadSession, chunk: Range<Int64>, body: ByteBufferSequence, meter: UploadMeter) async throws -> PatchAnswer {
        var headers: HTTPHeaders = ["Content-Type": "application/octet-stream"]
        headers.add(name: "Content-Range", value: BlobProtocol.chunkContentRange(chunk))
        let counted = ByteBufferSequence(CountingSequence(base: body, counter: meter.add))
        let request = TransportRequest(
            method: .PATCH, url: session.url, headers: headers,
            body: RequestBody(length: Int64(chunk.count)) { counted })
        let answer = try await exchange(request)
        switch answer.status {
        case 202, 204:
            var next = session
            if let location = answer.headers.first(name: "Location") {
                next.url = try BlobProtocol.resolveLocation(location, against: answer.url)
            }
            // The registry cannot hold more than was sent up to the end of this chunk.
            let offset = try answer.headers.first(name: "Range").map {
                try BlobProtocol.uploadOffset(range: $0, total: chunk.upperBound, url: answer.url)
            }
            return .accepted(next, offset: offset)
        case 416:
            return .rangeRefused
        default:
            throw BlobTransferError.response(
                status: answer.status, url: session.url, body: answer.body, digest: nil, doing: "uploading a chunk")
        }
    }

    private func close(_ session: UploadSession, digest: ContentDigest, body: ByteBufferSequence?, length: Int64, meter: UploadMeter) async throws {
        let url = BlobProtocol.appendingQuery(session.url, name: "digest", value: digest.description)
        var headers: HTTPHeaders = ["Content-Type": "application/octet-stream"]
        let requestBody: RequestBody
        if let body {
            let counted = ByteBufferSequence(CountingSequence(base: body, counter: meter.add))
            requestBody = RequestBody(length: length) { counted }
        } else {
            headers.add(name: "Content-Length", value: "0")
            requestBody = .bytes(ByteBuffer())
        }
        let answer = try await exchange(TransportRequest(method: .PUT, url: url, headers: headers, body: requestBody))
        guard answer.status == 201 || answer.status == 204 else {
            throw BlobTransferError.response(
                status: answer.status, url: url, body: answer.body, digest: digest, doing: "uploading blob")
        }
        if let reported = answer.headers.first(name: "Docker-Content-Digest").flatMap({ try? ContentDigest(parsing: $0) }),
            reported != digest
        {
            throw BlobTransferError(
                .digestMismatch,
                message: "the registry stored blob \(digest) as \(reported); the source bytes do not match their digest",
                digest: digest, status: answer.status, url: url)
        }
    }

    /// Asks the registry how much of the session it holds (`GET` on the upload URL → `204` with `Range`).
    private func status(of session: inout UploadSession, digest: ContentDigest, total: Int64) async throws -> Int64 {
        let answer = try await exchange(TransportRequest(method: .GET, url: session.url))
        guard answer.status == 204 || answer.status == 202 || answer.status == 200 else {
            throw BlobTransferError.response(
                status: answer.status, url: session.url, body: answer.body, digest: digest, doing: "resuming the upload of blob")
        }
        if let location = answer.headers.first(name: "Location") {
            session.url = try BlobProtocol.resolveLocation(location, against: answer.url)
        }
        guard let range = answer.headers.first(name: "Range") else { return 0 }
        return try BlobProtocol.uploadOffset(range: range, total: total, url: answer.url)
    }
}

/// Counts bytes sent by an upload and turns them into coalesced progress events.
final class UploadMeter: @unchecked Sendable {
    // Guarded by `lock`: the body is read by the transport on its own task.
    private let lock = NSLock()
    private let digest: ContentDigest
    private let total: Int64
    private let handler: TransferEventHandler?
    private var sent: Int64 = 0
    private var coalescer: ProgressCoalescer

    init(digest: ContentDigest, total: Int64, interval: Duration, handler: TransferEventHandler?) {
        self.digest = digest
        self.total = total
        self.handler = handler
        self.coalescer = ProgressCoalescer(interval: interval)
    }

    func reset(to offset: Int64) {
        lock.lock()
        sent = offset
        lock.unlock()
    }

    @Sendable func add(_ count: Int) {
        guard let handler else { return }
        lock.lock()
        sent += Int64(count)
        let now = sent
        let report = coalescer.shouldReport(now)
        lock.unlock()
        if report { handler(.progressed(digest: digest, completed: now, total: total)) }
    }

    func finish() {
        guard let handler else { return }
        lock.lock()
        let report = coalescer.shouldReport(total, force: true)
        lock.unlock()
        if report { handler(.progressed(digest: digest, completed: total, total: total)) }
    }
}
