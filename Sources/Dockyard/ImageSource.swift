import DockyardBlobTransfer
import DockyardManifests
import DockyardReferences
import Foundation

/// Where an image can be read from: a registry, an OCI layout, and, as they arrive, other stores.
///
/// A source names one image (a tag, a digest or a layout entry). ``RegistryClient/transfer(from:to:options:progress:)``
/// reads its top-level manifest or index, the platform manifests it selects, and the blobs they list; it never
/// needs more than these three calls, so a new store conforms by answering them.
///
/// - Important: ``blob(_:)`` must not read anything yet: the engine asks for every blob's source before it
///   moves any, so a missing blob fails the transfer before a byte moves.
public protocol ImageSource: Sendable, CustomStringConvertible {
    /// The manifest or index the source names, with the descriptor that lists it.
    ///
    /// - Returns: The document, byte for byte, and its descriptor.
    /// - Throws: The store's error when the image is missing or unreadable.
    func rootManifest() async throws -> (document: ManifestDocument, descriptor: Descriptor)

    /// A manifest the root index lists (one platform's manifest).
    ///
    /// - Parameter descriptor: The index entry.
    /// - Returns: The document, byte for byte.
    /// - Throws: The store's error when it is missing, too large or does not match the descriptor.
    func manifest(for descriptor: Descriptor) async throws -> ManifestDocument

    /// The bytes of a blob, read only when streamed: the whole blob, or a range to resume an upload.
    ///
    /// - Parameter descriptor: The blob's descriptor (config or layer).
    /// - Returns: A byte source of the blob's size.
    /// - Throws: The store's error when the store knows at once that it lacks the blob.
    func blob(_ descriptor: Descriptor) throws -> BlobUploadSource

    /// The registry repository the blobs live in, when the source is one: a destination on the same registry
    /// mounts blobs from it instead of sending them.
    var blobLocation: BlobLocation? { get }
}

/// Where an image can be written: a registry, an OCI layout, and, as they arrive, other stores.
///
/// ``RegistryClient/transfer(from:to:options:progress:)`` hands the destination every blob first (it decides to
/// skip, mount or store each), then each platform manifest of an index, and last the top-level document, which
/// makes the image visible under the destination's name. A failed transfer calls ``discard()``.
public protocol ImageDestination: Sendable, CustomStringConvertible {
    /// What the destination's name points at now, or `nil` when it names nothing yet.
    ///
    /// - Returns: The digest the tag or entry resolves to.
    /// - Throws: The store's error when it cannot tell.
    func currentDigest() async throws -> ContentDigest?

    /// Stores one blob unless the destination has it: skips it, mounts it from `origin`, or streams `bytes` in.
    ///
    /// - Parameters:
    ///   - descriptor: The blob's descriptor.
    ///   - bytes: Its bytes, read only when needed.
    ///   - origin: A registry repository that holds the blob, for a cross-repository mount.
    ///   - progress: Receives the blob's ``TransferEvent``s.
    /// - Returns: How the blob got there.
    /// - Throws: The store's error or a verification error.
    func putBlob(
        _ descriptor: Descriptor, from bytes: BlobUploadSource, origin: BlobLocation?,
        progress: TransferEventHandler?
    ) async throws -> UploadResult.Outcome

    /// Stores a manifest or index byte for byte; the `root` one also becomes what the destination's name points at.
    ///
    /// - Parameters:
    ///   - document: The document.
    ///   - descriptor: Its descriptor (with the platform, for an index entry).
    ///   - root: Whether this is the top-level document, stored last.
    /// - Throws: The store's error.
    func putManifest(_ document: ManifestDocument, descriptor: Descriptor, root: Bool) async throws

    /// Removes what this destination created, after a transfer that failed; never throws.
    func discard() async
}

extension ImageDestination {
    /// Does nothing: a store whose partial writes are invisible (a registry's unreferenced blobs) keeps them.
    public func discard() async {}
}

/// A repository on a registry where blobs can be found, for cross-repository mounts.
public struct BlobLocation: Sendable, Hashable {
    /// The repository, with its registry's name as its domain.
    public var repository: Repository

    /// Creates a location.
    ///
    /// - Parameter repository: The repository.
    public init(repository: Repository) {
        self.repository = repository
    }
}

/// Where a client has seen blobs, so that later pushes and copies can mount them instead of sending them.
///
/// Like containers/image's blob info cache, in memory and per client: a transfer records every repository a blob
/// was read from or written to.
final class BlobLocationCache: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var locations: [ContentDigest: [Repository]] = [:]
    private let limit = 4

    func record(_ digest: ContentDigest, in repository: Repository) {
        lock.lock()
        defer { lock.unlock() }
        var known = locations[digest, default: []]
        guard !known.contains(repository) else { return }
        known.append(repository)
        if known.count > limit { known.removeFirst() }
        locations[digest] = known
    }

    /// A repository on `registry` other than `excluding` that holds the blob.
    func location(of digest: ContentDigest, onRegistry registry: String, excluding: Repository) -> Repository? {
        lock.lock()
        defer { lock.unlock() }
        return locations[digest]?.last { $0.domain == registry && $0 != excluding }
    }
}
