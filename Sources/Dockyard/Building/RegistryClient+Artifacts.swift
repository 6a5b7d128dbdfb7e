import DockyardBlobTransfer
import DockyardImageBuilder
import DockyardManifests
import DockyardReferences
import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1

/// A file to push as one layer of an artifact.
public struct ArtifactFile: Sendable, Hashable {
    /// The annotation that names a layer's file, as oras writes and reads it.
    public static let titleAnnotation = "org.opencontainers.image.title"

    /// The file on disk.
    public var url: URL
    /// The layer's media type; `application/octet-stream` by default.
    public var mediaType: MediaType
    /// The file name recorded in ``titleAnnotation``; the file's own name by default.
    public var title: String

    /// Describes a file to push.
    ///
    /// - Parameters:
    ///   - url: The file.
    ///   - mediaType: Its media type.
    ///   - title: The name it is pulled as; its own name by default.
    public init(_ url: URL, mediaType: MediaType = "application/octet-stream", title: String? = nil) {
        self.url = url
        self.mediaType = mediaType
        self.title = title ?? url.lastPathComponent
    }
}

extension RegistryClient {
    /// Pushes files as an OCI 1.1 artifact: one layer per file, titled, under an `artifactType`, optionally
    /// referring to a `subject` manifest (a signature, SBOM or attestation of an image), as `oras push` does.
    ///
    /// Files are streamed from disk (hashed in one read, uploaded in another) and skipped when the registry has
    /// them. Without a config, the empty descriptor (`{}`) is used. With a subject on a registry without the
    /// referrers API, the referrers tag schema index (`<alg>-<hex>`) is updated so that other clients find the
    /// artifact (OCI distribution 1.1, "Pushing Manifests with Subject").
    ///
    /// - Parameters:
    ///   - files: The files, in order; none gives an artifact whose only layer is the empty descriptor.
    ///   - artifactType: The artifact's type, such as `application/vnd.example.sbom+json`.
    ///   - reference: Where to push: repository and tag, or only the repository (then the manifest is stored by
    ///     digest only, as referrers usually are).
    ///   - config: The config blob's bytes and media type; the empty descriptor by default.
    ///   - subject: The manifest the artifact refers to.
    ///   - annotations: The manifest's annotations.
    /// - Returns: The descriptor of the artifact manifest, with its `artifactType` and annotations.
    /// - Throws: ``DockyardImageBuilder/LayerError`` for an unreadable file, ``RegistryError``,
    ///   `BlobTransferError`, `ManifestError`, `AuthError`, `TransportError`.
    @discardableResult
    public func pushArtifact(
        _ files: [ArtifactFile],
        artifactType: MediaType,
        to reference: ImageReference,
        config: (bytes: [UInt8], mediaType: MediaType)? = nil,
        subject: Descriptor? = nil,
        annotations: [String: String] = [:]
    ) async throws -> Descriptor {
        let writer = try blobClient(for: reference.repository, actions: [.pull, .push])
        var layers: [Descriptor] = []
        for file in files {
            let source = try BlobUploadSource.file(file.url)
            let digest = try await BlobClient.digest(of: source)
            try await writer.upload(digest, from: source)
            layers.append(Descriptor(
                mediaType: file.mediaType, digest: digest, size: source.size,
                annotations: [ArtifactFile.titleAnnotation: file.title]))
        }
        let configDescriptor: Descriptor
        let configBytes: [UInt8]
        if let config {
            configBytes = config.bytes
            configDescriptor = Descriptor(mediaType: config.mediaType, describing: config.bytes)
        } else {
            configBytes = Array("{}".utf8)
            configDescriptor = .empty
        }
        try await Self.uploadSmall(configBytes, digest: configDescriptor.digest, with: writer)
        if layers.isEmpty {
            try await Self.uploadSmall(Array("{}".utf8), digest: Descriptor.empty.digest, with: writer)
            layers = [.empty]
        }
        let manifest = ImageManifest(
            mediaType: .ociManifest, artifactType: artifactType, config: configDescriptor, layers: layers, subject: subject,
            annotations: annotations.isEmpty ? nil : annotations)
        let document = try ManifestDocument(encoding: manifest)
        let target = reference.tag != nil ? reference.withoutDigest() : reference.withoutTag().withDigest(document.digest)
        _ = try await putManifest(document, as: target)
        var descriptor = document.descriptor
        descriptor.artifactType = artifactType
        descriptor.annotations = manifest.annotations
        if let subject {
            try await addReferrer(descriptor, of: subject.digest, in: reference.repository)
        }
        return descriptor
    }

    /// Records a manifest as a referrer of `subject` where clients look for it: nothing to do on a registry with
    /// the referrers API; on one without, the manifest is added to the index tagged `<alg>-<hex>` (created when
    /// missing), replacing an entry of the same digest.
    ///
    /// ``pushArtifact(_:artifactType:to:config:subject:annotations:)`` calls it; call it after putting a manifest
    /// with a `subject` by other means (for example when copying referrers).
    ///
    /// - Parameters:
    ///   - descriptor: The referring manifest, with its `artifactType` and annotations.
    ///   - subject: The digest of the manifest referred to.
    ///   - repository: The repository holding both.
    /// - Throws: ``RegistryError``, `ManifestError`, `AuthError`, `TransportError`.
    public func addReferrer(_ descriptor: Descriptor, of subject: ContentDigest, in repository: Repository) async throws {
        guard try await !supportsReferrersAPI(subject, in: repository) else { return }
        try await updateReferrersTag(of: subject, in: repository) { entries in
            entries.removeAll { $0.digest == descriptor.digest }
            entries.append(descriptor)
        }
    }

    /// Deletes an artifact (any manifest) by digest and, when it has a `subject` and the registry has no referrers
    /// API, removes it from the referrers tag schema index.
    ///
    /// - Parameter reference: The manifest, by tag or digest.
    /// - Returns: The digest deleted.
    /// - Throws: ``RegistryError`` (`UNSUPPORTED` when the registry does not allow deletes), `AuthError`,
    ///   `TransportError`.
    @discardableResult
    public func deleteArtifact(_ reference: ImageReference) async throws -> ContentDigest {
        let document = try await manifest(for: reference)
        let digest = try await deleteManifest(reference.withoutTag().withDigest(document.digest))
        if let subject = document.manifest?.subject ?? document.index?.subject,
            try await !supportsReferrersAPI(subject.digest, in: reference.repository)
        {
            try await updateReferrersTag(of: subject.digest, in: reference.repository) { entries in
                entries.removeAll { $0.digest == digest }
            }
        }
        return digest
    }

    /// Downloads an artifact's titled files into a directory, as `oras pull` does; layers without a title are
    /// skipped. Each file is verified and renamed into place.
    ///
    /// - Parameters:
    ///   - reference: The artifact.
    ///   - directory: Where the files go (created when missing).
    /// - Returns: The files written.
    /// - Throws: ``DockyardImageBuilder/LayerError`` for a title that is not a plain file name, ``RegistryError``,
    ///   `BlobTransferError`, `AuthError`, `TransportError`.
    @discardableResult
    public func pullArtifact(_ reference: ImageReference, into directory: URL) async throws -> [URL] {
        let document = try await manifest(for: reference)
        guard let manifest = document.manifest else {
            throw LayerError(.invalidValue, "\(reference) is an index, not an artifact manifest; pull one of its manifests")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let reader = try blobClient(for: reference.repository)
        var written: [URL] = []
        for layer in manifest.layers {
            guard let title = layer.annotations?[ArtifactFile.titleAnnotation] else { continue }
            guard !title.isEmpty, title != ".", title != "..", !title.contains("/"), !title.contains("\0") else {
                throw LayerError(.invalidPath, "the artifact names a file '\(title)', which is not a plain file name; it was not written")
            }
            let url = directory.appendingPathComponent(title)
            try await reader.download(layer.digest, size: layer.size, to: url)
            written.append(url)
        }
        return written
    }

    /// Whether the registry answers the referrers API for a repository (`200` rather than `404`).
    func supportsReferrersAPI(_ subject: ContentDigest, in repository: Repository) async throws -> Bool {
        let url = try baseURL(for: repository).appendingPathComponent("referrers").appendingPathComponent(subject.description)
        let request = TransportRequest(method: .GET, url: url, headers: ["Accept": MediaType.ociIndex.rawValue])
        let response = try await send(request, repository: repository, actions: [.pull])
        await response.body.drain()
        return response.status.code == 200
    }

    /// Reads, changes and writes the referrers tag schema index of a subject.
    private func updateReferrersTag(
        of subject: ContentDigest, in repository: Repository, _ change: (inout [Descriptor]) -> Void
    ) async throws {
        let tag = "\(String(subject.algorithm.rawValue.prefix(32)))-\(subject.encoded.prefix(64))"
        let reference = try ImageReference(repository: repository, tag: tag)
        var entries: [Descriptor] = []
        do {
            if let index = try await manifest(for: reference, accepting: [.ociIndex]).index { entries = index.manifests }
        } catch let error as RegistryError where error.code == .manifestUnknown || error.status == 404 {
            entries = []
        }
        change(&entries)
        _ = try await putManifest(try ManifestDocument(encoding: ImageIndex(manifests: entries)), as: reference)
    }

    static func uploadSmall(_ bytes: [UInt8], digest: ContentDigest, with writer: BlobClient) async throws {
        let buffer = ByteBuffer(bytes: bytes)
        let source = BlobUploadSource(size: Int64(bytes.count)) { range in
            ByteBufferSequence(single: buffer.getSlice(at: Int(range.lowerBound), length: range.count) ?? ByteBuffer())
        }
        try await writer.upload(digest, from: source)
    }
}
