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
    /// `nil`). The configuration blob is read with a size limit and its digest is verified.
    ///
    /// - Parameters:
    ///   - reference: The image, by tag or digest.
    ///   - platform: The platform to choose from an index; the host's by default.
    /// - Returns: The decoded configuration.
    /// - Throws: ``RegistryError`` (for example `manifestUnknown` for a missing tag), `LayerError` when the image
    ///   has no such platform or its config is not an image configuration, `BlobTransferError`, `AuthError`,
    ///   `TransportError`.
    public func imageConfiguration(for reference: ImageReference, platform: Platform? = nil) async throws -> ImageConfiguration {
        try await configuration(of: .registry(reference), platform: platform).configuration
    }
}
