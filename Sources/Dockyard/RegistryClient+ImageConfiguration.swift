import DockyardImageBuilder
import DockyardManifests
import DockyardReferences

extension RegistryClient {
    /// Fetches and decodes the configuration of an image: its platform, environment, entry point, labels and
    /// history.
    ///
    /// ```swift
    /// let configuration = try await client.imageConfiguration(for: ImageReference(normalizing: "alpine"))
    /// print(configuration.os, configuration.architecture, configuration.config?.entrypoint ?? [])
    /// ```
    ///
    /// For a multi-platform image the manifest of `platform` is chosen from the index (the host's platform when
    /// `nil`). A single-platform image has one configuration: with `platform` `nil` it is returned whatever its
    /// platform; when you name a platform (`.current` included) that the image cannot run on, the call throws
    /// rather than return another platform's configuration. The configuration blob is read with a size limit and
    /// its digest is verified.
    ///
    /// - Parameters:
    ///   - reference: The image, by tag or digest.
    ///   - platform: The platform to choose from an index, and to require of a single-platform image; `nil` for
    ///     the host's entry of an index, or a single-platform image's only configuration.
    /// - Returns: The decoded configuration.
    /// - Throws: ``RegistryError`` (for example `manifestUnknown` for a missing tag), `LayerError` with code
    ///   `platformUnavailable` when the image has no image for `platform` (an index without such an entry, or a
    ///   single-platform image built for another platform) or `invalidValue` when its config is not an image
    ///   configuration, `BlobTransferError`, `AuthError`, `TransportError`.
    public func imageConfiguration(for reference: ImageReference, platform: Platform? = nil) async throws -> ImageConfiguration {
        let (blob, fromIndex) = try await configurationBlob(of: .registry(reference), platform: platform)
        let found = blob.configuration.platform
        if let platform, !fromIndex, !platform.canRun(found) {
            throw LayerError(
                .platformUnavailable,
                "\(reference) is a single-platform image for \(found), not \(platform); ask for \(found), or for no platform to read it whatever its platform")
        }
        return blob.configuration
    }
}
