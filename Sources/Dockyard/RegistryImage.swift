import DockyardAuth
import DockyardBlobTransfer
import DockyardManifests
import DockyardReferences
import Foundation

/// An image in a registry, as the source or the destination of a transfer: a repository and a tag or digest,
/// reached through one ``RegistryClient`` (its credentials, connections, mirrors and blob tunables).
///
/// Make one with ``RegistryClient/image(_:)``.
public struct RegistryImage: ImageSource, ImageDestination {
    /// The client that talks to the registry.
    public let client: RegistryClient
    /// The image: repository and tag (`latest` when none) or digest.
    public let reference: ImageReference

    /// Creates the image of `reference` reached through `client`.
    ///
    /// - Parameters:
    ///   - client: The client.
    ///   - reference: The image.
    public init(client: RegistryClient, reference: ImageReference) {
        self.client = client
        self.reference = reference
    }

    /// The reference, as `registry/repository:tag`.
    public var description: String { reference.description }

    // MARK: ImageSource

    /// Fetches the manifest or index the reference names (mirrors first).
    public func rootManifest() async throws -> (document: ManifestDocument, descriptor: Descriptor) {
        let document = try await client.manifest(for: reference)
        return (document, Descriptor(mediaType: document.mediaType, digest: document.digest, size: Int64(document.bytes.count)))
    }

    /// Fetches a platform manifest by digest.
    public func manifest(for descriptor: Descriptor) async throws -> ManifestDocument {
        try await client.manifest(for: reference.withDigest(descriptor.digest), accepting: [descriptor.mediaType])
    }

    /// A verified, resumable stream of the blob from the registry, opened only when read.
    public func blob(_ descriptor: Descriptor) throws -> BlobUploadSource {
        let reader = try client.blobClient(for: reference.repository, configuration: client.configuration.blobs)
        client.blobLocations.record(descriptor.digest, in: reference.repository)
        return .blob(descriptor.digest, from: reader, size: descriptor.size)
    }

    /// The repository, so that a destination on the same registry can mount from it.
    public var blobLocation: BlobLocation? { BlobLocation(repository: reference.repository) }

    // MARK: ImageDestination

    /// The digest the reference resolves to, or `nil` when the registry does not know it.
    public func currentDigest() async throws -> ContentDigest? {
        do {
            return try await client.resolve(reference).digest
        } catch let error as RegistryError where error.code == .manifestUnknown || error.code == .nameUnknown || error.status == 404 {
            return nil
        }
    }

    /// Skips a blob the repository has, mounts it from `origin` (or from a repository of the same registry where
    /// this client has seen it), or streams it in with one `PUT` (or chunks, as the client's blob tunables say).
    public func putBlob(
        _ descriptor: Descriptor, from bytes: BlobUploadSource, origin: BlobLocation?,
        progress: TransferEventHandler?
    ) async throws -> UploadResult.Outcome {
        var mount: Repository?
        if let origin, origin.repository.domain == reference.domain, origin.repository != reference.repository {
            mount = origin.repository
        } else {
            mount = client.blobLocations.location(
                of: descriptor.digest, onRegistry: reference.domain, excluding: reference.repository)
        }
        let writer = try client.blobClient(
            for: reference.repository, actions: [.pull, .push],
            extraScopes: mount.map { [.repository($0, actions: [.pull])] } ?? [],
            configuration: client.configuration.blobs)
        let result = try await writer.upload(descriptor.digest, from: bytes, mountingFrom: mount, progress: progress)
        client.blobLocations.record(descriptor.digest, in: reference.repository)
        return result.outcome
    }

    /// Puts a platform manifest by digest, or the root under the reference's tag (or digest).
    public func putManifest(_ document: ManifestDocument, descriptor: Descriptor, root: Bool) async throws {
        try await client.putManifest(document, as: root ? reference : reference.withDigest(document.digest))
    }
}

extension RegistryClient {
    /// The image `reference` names, reached through this client, as a transfer's source or destination.
    ///
    /// - Parameter reference: The image.
    /// - Returns: The image.
    public func image(_ reference: ImageReference) -> RegistryImage {
        RegistryImage(client: self, reference: reference)
    }
}
