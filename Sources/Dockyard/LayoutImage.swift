import DockyardBlobTransfer
import DockyardManifests
import DockyardReferences
import Foundation

/// An image in an OCI image layout, as the source or the destination of a transfer: the layout and the name of
/// its entry in `index.json` (`org.opencontainers.image.ref.name`).
///
/// Make one with ``OCILayout/image(named:)``. As a destination it stores blobs verified and renamed into place,
/// then the manifests, and lists the image in `index.json` last; a failed transfer into a layout that did not
/// exist before removes the layout again.
public struct LayoutImage: ImageSource, ImageDestination {
    /// The layout.
    public let layout: OCILayout
    /// The entry's name; as a source, `nil` picks the only entry; as a destination, `nil` lists the image unnamed.
    public let name: String?
    /// The blob tunables used to read and write files.
    public var blobConfiguration: BlobClient.Configuration
    /// Whether the directory, and the layout in it, existed when this value was made; decides what
    /// ``discard()`` removes.
    private let existed: (directory: Bool, layout: Bool)

    /// Creates the image `name` of `layout`.
    ///
    /// - Parameters:
    ///   - layout: The layout.
    ///   - name: The entry's name.
    ///   - blobConfiguration: Blob tunables (file read size, flushing to disk, progress interval).
    public init(layout: OCILayout, name: String?, blobConfiguration: BlobClient.Configuration = BlobClient.Configuration()) {
        self.layout = layout
        self.name = name
        self.blobConfiguration = blobConfiguration
        self.existed = (FileManager.default.fileExists(atPath: layout.directory.path), layout.exists)
    }

    /// `oci:<directory>` with `:<name>` when named, as skopeo writes it.
    public var description: String { "oci:\(layout.directory.path)" + (name.map { ":\($0)" } ?? "") }

    // MARK: ImageSource

    /// Reads the entry's manifest or index, checking its digest.
    public func rootManifest() async throws -> (document: ManifestDocument, descriptor: Descriptor) {
        let entry = try layout.entry(named: name)
        return (try layout.document(entry), entry)
    }

    /// Reads a platform manifest the entry's index lists.
    public func manifest(for descriptor: Descriptor) async throws -> ManifestDocument {
        guard layout.contains(descriptor) else {
            throw LayoutError(
                .missingBlob,
                "the index lists manifest \(descriptor.digest)\(descriptor.platform.map { " (\($0))" } ?? ""), which the layout does not hold; add all platforms to it or transfer one platform",
                path: layout.blobURL(for: descriptor.digest))
        }
        return try layout.document(descriptor)
    }

    /// The blob's file, read in pieces when streamed; a missing blob or one of the wrong size fails at once.
    public func blob(_ descriptor: Descriptor) throws -> BlobUploadSource {
        let url = layout.blobURL(for: descriptor.digest)
        guard layout.contains(descriptor) else {
            throw LayoutError(.missingBlob, "blob \(descriptor.digest) of the image is missing from the layout (or has the wrong size)", path: url)
        }
        return try .file(url, readSize: blobConfiguration.fileReadSize)
    }

    /// A layout is no registry: nothing can be mounted from it.
    public var blobLocation: BlobLocation? { nil }

    // MARK: ImageDestination

    /// The digest of the entry named ``name``, or `nil` when there is none.
    public func currentDigest() async throws -> ContentDigest? {
        guard let name else { return nil }
        return try layout.entries().last { $0.annotations?[OCILayout.refNameAnnotation] == name }?.digest
    }

    /// Skips a blob the layout holds; otherwise writes it to a temporary file, verified, and renames it into place.
    public func putBlob(
        _ descriptor: Descriptor, from bytes: BlobUploadSource, origin: BlobLocation?,
        progress: TransferEventHandler?
    ) async throws -> UploadResult.Outcome {
        if layout.contains(descriptor) {
            progress?(.skipped(digest: descriptor.digest, size: descriptor.size))
            return .skipped
        }
        try layout.prepareBlobDirectory(for: descriptor.digest)
        try await BlobFile.write(
            bytes, digest: descriptor.digest, to: layout.blobURL(for: descriptor.digest),
            synchronize: blobConfiguration.synchronizeFiles, progressInterval: blobConfiguration.progressInterval,
            progress: progress)
        return .uploaded
    }

    /// Stores the document as a blob; the root also becomes the entry named ``name`` in `index.json`.
    public func putManifest(_ document: ManifestDocument, descriptor: Descriptor, root: Bool) async throws {
        try layout.storeBlob(document.bytes, digest: document.digest)
        if root { try layout.setEntry(descriptor, named: name) }
    }

    /// Removes the layout when this transfer created it: the directory when it did not exist, otherwise the
    /// layout's files in it. A layout that existed keeps its verified blobs, which the next attempt reuses.
    public func discard() async {
        guard !existed.layout else { return }
        let manager = FileManager.default
        if !existed.directory {
            try? manager.removeItem(at: layout.directory)
            return
        }
        for name in ["oci-layout", "index.json", ".index.json.lock", "blobs"] {
            try? manager.removeItem(at: layout.directory.appendingPathComponent(name))
        }
    }
}

extension OCILayout {
    /// The image of this layout listed under `name`, as a transfer's source or destination.
    ///
    /// - Parameters:
    ///   - name: The entry's `org.opencontainers.image.ref.name`; `nil` for the only entry (or an unnamed one).
    ///   - blobConfiguration: Blob tunables for reading and writing files.
    /// - Returns: The image.
    public func image(named name: String?, blobConfiguration: BlobClient.Configuration = BlobClient.Configuration()) -> LayoutImage {
        LayoutImage(layout: self, name: name, blobConfiguration: blobConfiguration)
    }
}
