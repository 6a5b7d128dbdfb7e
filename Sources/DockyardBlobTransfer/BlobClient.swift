import DockyardReferences
import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1

/// Moves blobs of one repository: checks, streams, downloads and uploads them, verifying every byte.
///
/// A `BlobClient` speaks the blob part of the OCI distribution spec over any ``DockyardTransport/HTTPTransport``
/// that already authorizes its requests (``Dockyard``'s `RegistryClient` hands one out), rooted at a repository
/// URL such as `https://registry-1.docker.io/v2/library/ubuntu/`.
///
/// Nothing is held whole in memory: downloads stream with backpressure and are hashed as they flow; uploads
/// stream from their source. A download that breaks continues with a `Range` request; an upload that breaks
/// continues from the offset the registry reports.
public struct BlobClient: Sendable {
    /// How blobs are uploaded.
    public enum UploadStrategy: Sendable, Hashable {
        /// One `POST` then one streaming `PUT ?digest=` (the fastest path on most registries).
        case monolithic
        /// One `POST`, then `PATCH` requests of `size` bytes (raised to the registry's `OCI-Chunk-Min-Length`),
        /// then a closing `PUT ?digest=`; for registries that limit request sizes.
        case chunked(size: Int)

        /// Chunked uploads of 4 MiB.
        public static var chunked: UploadStrategy { .chunked(size: 4 << 20) }
    }

    /// Tunables of a ``BlobClient``.
    public struct Configuration: Sendable {
        /// How uploads are sent; ``UploadStrategy/monolithic`` by default.
        public var uploadStrategy: UploadStrategy
        /// How many times one transfer may resume after a broken connection (an upload also counts a session the
        /// registry dropped, which it starts again); 5 by default.
        public var maxResumeAttempts: Int
        /// How many bytes one read of a local file asks for; 256 KiB by default.
        public var fileReadSize: Int
        /// The shortest interval between two progress events of one transfer; 100 ms by default.
        public var progressInterval: Duration
        /// Whether a downloaded file is flushed to disk (`fsync`) before it is renamed into place; off by default.
        public var synchronizeFiles: Bool

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - uploadStrategy: How uploads are sent.
        ///   - maxResumeAttempts: How many times one transfer may resume.
        ///   - fileReadSize: Bytes per read of a local file.
        ///   - progressInterval: The shortest interval between progress events.
        ///   - synchronizeFiles: Whether downloads are flushed to disk before the rename.
        public init(
            uploadStrategy: UploadStrategy = .monolithic,
            maxResumeAttempts: Int = 5,
            fileReadSize: Int = 256 << 10,
            progressInterval: Duration = .milliseconds(100),
            synchronizeFiles: Bool = false
        ) {
            self.uploadStrategy = uploadStrategy
            self.maxResumeAttempts = maxResumeAttempts
            self.fileReadSize = fileReadSize
            self.progressInterval = progressInterval
            self.synchronizeFiles = synchronizeFiles
        }
    }

    /// The transport requests go through; it authorizes them.
    public let transport: any HTTPTransport
    /// The repository's base URL, ending in `/v2/<name>/`.
    public let repositoryURL: URL
    /// The tunables.
    public var configuration: Configuration

    /// Creates a client for one repository.
    ///
    /// - Parameters:
    ///   - transport: A transport that authorizes requests to this repository (pull, and push for uploads).
    ///   - repositoryURL: The repository's base URL, `…/v2/<name>/`.
    ///   - configuration: Tunables.
    public init(transport: any HTTPTransport, repositoryURL: URL, configuration: Configuration = Configuration()) {
        self.transport = transport
        self.repositoryURL = repositoryURL
        self.configuration = configuration
    }

    /// Asks whether the repository has a blob (`HEAD /v2/<name>/blobs/<digest>`).
    ///
    /// - Parameter digest: The blob's digest.
    /// - Returns: The blob's size and digest, or `nil` when the registry does not have it.
    /// - Throws: ``BlobTransferError`` for any answer but 200 and 404, or the transport's error.
    public func exists(_ digest: ContentDigest) async throws -> BlobInfo? {
        let url = BlobProtocol.blobURL(repositoryURL, digest)
        let response = try await transport.send(TransportRequest(method: .HEAD, url: url))
        await response.body.drain()
        switch response.status.code {
        case 200:
            let size = response.headers.first(name: "Content-Length").flatMap { BlobProtocol.decimal(Substring($0)) } ?? -1
            let reported = response.headers.first(name: "Docker-Content-Digest").flatMap { try? ContentDigest(parsing: $0) }
            if let reported, reported != digest {
                throw BlobTransferError(
                    .digestMismatch,
                    message: "the registry reports blob \(digest) under a different digest \(reported); it is misbehaving",
                    digest: digest, status: 200, url: url)
            }
            return BlobInfo(digest: digest, size: size)
        case 404:
            return nil
        default:
            throw BlobTransferError.response(
                status: Int(response.status.code), url: url, body: [], digest: digest, doing: "checking blob")
        }
    }

    /// Sends a request whose answer is small, returning the status, headers and at most 64 KiB of body.
    func exchange(_ request: TransportRequest) async throws -> (status: Int, headers: HTTPHeaders, body: [UInt8], url: URL) {
        let response = try await transport.send(request)
        var buffer = try await response.body.collectPrefix(64 << 10)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        return (Int(response.status.code), response.headers, bytes, response.url)
    }
}

/// A blob's identity as a registry reports it.
public struct BlobInfo: Sendable, Hashable, Codable {
    /// The blob's digest.
    public var digest: ContentDigest
    /// The blob's size in bytes; `-1` when the registry did not say.
    public var size: Int64

    /// Creates a value.
    ///
    /// - Parameters:
    ///   - digest: The digest.
    ///   - size: The size in bytes.
    public init(digest: ContentDigest, size: Int64) {
        self.digest = digest
        self.size = size
    }
}
