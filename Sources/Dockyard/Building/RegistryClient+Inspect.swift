import DockyardImageBuilder
import DockyardManifests
import DockyardReferences
import DockyardTransport
import Foundation
import NIOHTTP1

/// An image's configuration blob: its exact bytes, its descriptor, and the decoded value.
///
/// `description` reads `linux/amd64 configuration sha256:… (1472 bytes)`.
public struct ConfigurationBlob: Sendable, Hashable, CustomStringConvertible {
    /// The configuration's bytes as stored.
    public var bytes: [UInt8]
    /// The descriptor the manifest gives it.
    public var descriptor: Descriptor
    /// The decoded configuration.
    public var configuration: ImageConfiguration
    /// The manifest whose configuration this is.
    public var manifest: Descriptor

    /// The decoded configuration's platform, the digest and the size: `linux/amd64 configuration sha256:… (1472
    /// bytes)`. The bytes themselves are in ``bytes``.
    public var description: String {
        "\(configuration.platform) configuration \(descriptor.digest) (\(descriptor.size) bytes)"
    }
}

/// What ``RegistryClient/inspect(_:platform:)`` tells about an image, as `skopeo inspect` shows it.
public struct ImageInspection: Sendable, Hashable {
    /// The image's location.
    public var location: ImageLocation
    /// The top-level digest (the index's, for a multi-platform image).
    public var digest: ContentDigest
    /// The top-level media type.
    public var mediaType: MediaType
    /// The platforms of the index, or the one platform of a single manifest.
    public var platforms: [Platform]
    /// The digest of the platform manifest inspected.
    public var manifestDigest: ContentDigest
    /// The inspected platform's manifest.
    public var manifest: ImageManifest
    /// The inspected platform's configuration.
    public var configuration: ImageConfiguration
}

extension RegistryClient {
    /// The configuration of an image, or of one platform of a multi-platform image.
    ///
    /// A single-platform image's configuration is returned whatever its platform; to be told when it is not the
    /// one you asked for, use ``imageConfiguration(for:platform:)``.
    ///
    /// - Parameters:
    ///   - image: The image (registry reference or OCI layout entry).
    ///   - platform: The platform to choose from an index; the host's by default.
    /// - Returns: The configuration's exact bytes, descriptor and decoded value.
    /// - Throws: ``DockyardImageBuilder/LayerError`` (`platformUnavailable` when an index has no entry for the
    ///   platform, `invalidValue` when the config is not an image configuration), ``RegistryError``,
    ///   ``LayoutError``, `BlobTransferError`, `AuthError`, `TransportError`.
    public func configuration(of image: ImageLocation, platform: Platform? = nil) async throws -> ConfigurationBlob {
        try await configurationBlob(of: image, platform: platform).blob
    }

    /// ``configuration(of:platform:)``, and whether the configuration was chosen from an index.
    func configurationBlob(of image: ImageLocation, platform: Platform?) async throws -> (blob: ConfigurationBlob, fromIndex: Bool) {
        let store = try ImageStore(image, client: self)
        let (top, manifestDocument) = try await Self.platformManifest(of: image, store: store, platform: platform)
        guard let manifest = manifestDocument.manifest else {
            throw LayerError(.invalidValue, "\(image) is not an image manifest")
        }
        let bytes = try await store.smallBlob(manifest.config)
        let configuration: ImageConfiguration
        do {
            configuration = try JSONDecoder().decode(ImageConfiguration.self, from: Data(bytes))
        } catch {
            throw LayerError(.invalidValue, "the config of \(image) (\(manifest.config.mediaType)) is not an image configuration: \(error)")
        }
        let blob = ConfigurationBlob(bytes: bytes, descriptor: manifest.config, configuration: configuration, manifest: manifestDocument.descriptor)
        return (blob, top.index != nil)
    }

    /// Describes an image: digest, platforms, and for one platform its manifest and configuration.
    ///
    /// - Parameters:
    ///   - image: The image.
    ///   - platform: The platform to describe from an index; the host's (or the first entry) by default.
    /// - Returns: The description.
    /// - Throws: As ``configuration(of:platform:)``.
    public func inspect(_ image: ImageLocation, platform: Platform? = nil) async throws -> ImageInspection {
        let store = try ImageStore(image, client: self)
        let (top, manifestDocument) = try await Self.platformManifest(of: image, store: store, platform: platform)
        guard let manifest = manifestDocument.manifest else {
            throw LayerError(.invalidValue, "\(image) is not an image manifest")
        }
        let bytes = try await store.smallBlob(manifest.config)
        let configuration: ImageConfiguration
        do {
            configuration = try JSONDecoder().decode(ImageConfiguration.self, from: Data(bytes))
        } catch {
            throw LayerError(.invalidValue, "the config of \(image) is not an image configuration: \(error)")
        }
        let platforms: [Platform]
        if let index = top.index {
            platforms = index.manifests.compactMap { entry in
                entry.annotations?["vnd.docker.reference.type"] == "attestation-manifest" ? nil : entry.platform
            }
        } else {
            platforms = [configuration.platform]
        }
        return ImageInspection(
            location: image, digest: top.digest, mediaType: top.mediaType, platforms: platforms,
            manifestDigest: manifestDocument.digest, manifest: manifest, configuration: configuration)
    }

    /// The top-level document and the platform manifest chosen from it.
    static func platformManifest(
        of image: ImageLocation, store: ImageStore, platform: Platform?
    ) async throws -> (ManifestDocument, ManifestDocument) {
        let top = try await store.top()
        guard let index = top.index else { return (top, top) }
        let entry: Descriptor
        if let platform {
            guard let found = index.manifest(for: platform) else {
                let available = index.manifests.compactMap { $0.platform.map { "\($0)" } }
                throw LayerError(.platformUnavailable, "\(image) has no image for \(platform); it has \(available.joined(separator: ", "))")
            }
            entry = found
        } else if let found = index.manifest(for: .current) ?? index.manifests.first(where: { $0.mediaType.isImageManifest }) {
            entry = found
        } else {
            throw LayerError(.invalidValue, "\(image) is an index without image manifests")
        }
        return (top, try await store.document(entry))
    }

    /// Puts an image's manifest under another tag of the same repository, without downloading any blob.
    ///
    /// The manifest's exact bytes are fetched and put again, so the digest is unchanged.
    ///
    /// - Parameters:
    ///   - reference: The image, by tag or digest.
    ///   - tag: The new tag.
    /// - Returns: The descriptor of the manifest (or index) now under `tag`.
    /// - Throws: `ReferenceError` for an invalid tag, ``RegistryError``, `AuthError`, `TransportError`.
    @discardableResult
    public func tag(_ reference: ImageReference, as tag: String) async throws -> Descriptor {
        let target = try reference.withoutDigest().withTag(tag)
        let document = try await manifest(for: reference)
        _ = try await putManifest(document, as: target)
        return document.descriptor
    }

    /// Removes a tag alone, leaving the manifest and its other tags (OCI distribution 1.1, "Deleting tags").
    ///
    /// - Parameter reference: The repository and the tag to remove.
    /// - Throws: ``RegistryError`` with code ``RegistryError/Code/unsupported`` when the registry cannot delete a
    ///   tag alone (as distribution 2.x, which only deletes manifests by digest: that removes every tag of the
    ///   manifest); other ``RegistryError``s, `AuthError`, `TransportError`.
    public func untag(_ reference: ImageReference) async throws {
        guard let tag = reference.tag, reference.digest == nil else {
            throw LayerError(.invalidValue, "\(reference) names no tag to remove")
        }
        let url = try baseURL(for: reference.repository).appendingPathComponent("manifests").appendingPathComponent(tag)
        let request = TransportRequest(method: .DELETE, url: url)
        let response = try await send(request, repository: reference.repository, actions: [.delete])
        if (200..<300).contains(response.status.code) {
            await response.body.drain()
            return
        }
        let error = await failure(response, for: request, subject: reference.description)
        if [400, 405].contains(response.status.code) || error.code == .unsupported || error.code == .digestInvalid {
            throw RegistryError(
                code: .unsupported, status: Int(response.status.code), method: "DELETE", url: url, errors: error.errors,
                subject: reference.description,
                message: "this registry cannot delete a tag alone; deleting the manifest by digest removes every tag that points at it")
        }
        throw error
    }
}
