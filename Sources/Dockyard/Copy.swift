import DockyardBlobTransfer
import DockyardManifests
import DockyardReferences
import Foundation

/// What ``RegistryClient/copy(from:to:platforms:concurrency:)`` did.
public struct CopyResult: Sendable, Hashable, CustomStringConvertible {
    /// The source.
    public var source: ImageReference
    /// The destination.
    public var destination: ImageReference
    /// The digest of the top-level manifest or index copied; the same at both ends.
    public var digest: ContentDigest
    /// The top-level manifest or index copied.
    public var descriptor: Descriptor
    /// The manifests copied (one per platform).
    public var manifests: [Descriptor]
    /// Blob counts and bytes.
    public var totals: TransferTotals

    /// The image, its digest and the counts, such as `registry.test/app:v1 sha256:… (3 moved (1.2 MiB), 0 present, 0 mounted)`.
    public var description: String { "\(source) -> \(destination) \(digest) (\(totals))" }
}

extension RegistryClient {
    /// Copies an image between repositories or registries, streaming blobs without touching disk.
    ///
    /// A convenience over ``transfer(from:to:options:progress:)`` between two ``image(_:)``s. Each blob the
    /// destination lacks is mounted when both repositories are on the same registry (`POST ?mount=&from=`, with
    /// a token that may pull from the source), and otherwise streamed from the source's `GET` into the
    /// destination's `PUT`, verified on the way. Manifests are copied byte for byte, so every digest is identical.
    ///
    /// - Parameters:
    ///   - source: The image to copy.
    ///   - destination: Where to put it: repository and tag (`latest` when none) or the image's digest.
    ///   - platforms: Which platforms of an index to copy; with ``PlatformSelection/all`` the index is copied,
    ///     otherwise the one platform's manifest; the host's by default.
    ///   - concurrency: How many blobs move at once; 4 by default.
    /// - Returns: What was copied, with counts.
    /// - Throws: As ``transfer(from:to:options:progress:)``.
    @discardableResult
    public func copy(
        from source: ImageReference,
        to destination: ImageReference,
        platforms: PlatformSelection = .current,
        concurrency: Int = 4
    ) async throws -> CopyResult {
        let result = try await transfer(
            from: image(source), to: image(destination),
            options: ImageTransferOptions(platforms: platforms, concurrency: concurrency))
        return CopyResult(source, destination, result)
    }

    /// Copies an image, reporting progress as a stream of events ending with ``ImageTransferEvent/completed(_:)``.
    ///
    /// - Parameters:
    ///   - source: The image to copy.
    ///   - destination: Where to put it.
    ///   - platforms: Which platforms of an index to copy.
    ///   - concurrency: How many blobs move at once.
    /// - Returns: The events; the stream throws what ``copy(from:to:platforms:concurrency:)`` throws.
    public func copyEvents(
        from source: ImageReference,
        to destination: ImageReference,
        platforms: PlatformSelection = .current,
        concurrency: Int = 4
    ) -> AsyncThrowingStream<CopyEvent, any Error> {
        events(
            from: image(source), to: image(destination),
            options: ImageTransferOptions(platforms: platforms, concurrency: concurrency)
        ) { CopyResult(source, destination, $0) }
    }
}

extension CopyResult {
    init(_ source: ImageReference, _ destination: ImageReference, _ result: ImageTransferResult) {
        self.init(
            source: source, destination: destination, digest: result.digest, descriptor: result.descriptor,
            manifests: result.manifests, totals: result.totals)
    }
}
