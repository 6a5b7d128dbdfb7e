import DockyardBlobTransfer
import DockyardImageBuilder
import DockyardManifests
import DockyardReferences
import DockyardTransport
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An image in a `docker save` tarball, as the source or the destination of a transfer.
///
/// The tarball holds `manifest.json` (each image's configuration file, tags and layer files), the configuration
/// and one uncompressed tar per layer. As a **destination** (what `docker save` writes, and what `docker load`
/// and `skopeo copy docker-archive:` read) the image's layers are decompressed while they stream in, their diff
/// IDs are computed on the way and checked against the configuration's `rootfs.diff_ids`, and the tarball is
/// assembled in a temporary file beside ``file`` and renamed into place last: a failed transfer leaves nothing at
/// ``file``. Layers live in `blobs/sha256/<diff ID>`, the configuration in `blobs/sha256/<digest>`, as Docker 25
/// and later write them. One image per tarball: choose one platform of a multi-platform image.
///
/// As a **source** both layouts of `docker save` are read: the legacy one (`<id>/layer.tar`, links between
/// layers included) and the newer `blobs/sha256/…` one. Only the tar's headers are read up front; each layer is
/// streamed from its place in the file. A registry stores compressed layers, so by default each layer is first
/// gzip-compressed into a temporary file (its digest must be in the manifest before any upload), and its diff ID
/// checked against the configuration; with ``layerCompression`` `.none` the layers go out as they are
/// (`application/vnd.oci.image.layer.v1.tar`), streamed straight from the tarball.
///
/// ```swift
/// let archive = DockerArchiveImage(file: URL(fileURLWithPath: "alpine.tar"), reference: reference)
/// try await client.transfer(from: client.image(reference), to: archive)
/// ```
///
/// - Note: The manifest written from a tarball is not the one the image was pulled with: the tarball keeps
///   uncompressed layers only, and recompressing them gives other bytes. Diff IDs and the configuration's digest
///   (the image ID) stay the same.
public struct DockerArchiveImage: ImageSource, ImageDestination {
    /// The tarball.
    public let file: URL
    /// As a source, the tag (in `RepoTags`) of the image to read, or `nil` for the only image; as a destination,
    /// the tag written in `RepoTags` and `repositories` (none for `nil` or a digest-only reference).
    public let reference: ImageReference?
    /// As a source, how layers leave the tarball: gzip at level 6 by default, or `.none` to send the tar as it is.
    public var layerCompression: LayerOptions.Compression
    /// Blob tunables for reading files (read size) and reporting progress.
    public var blobConfiguration: BlobClient.Configuration
    private let state = DockerArchiveState()

    /// Creates the image of the tarball at `file`.
    ///
    /// - Parameters:
    ///   - file: The tarball (read as a source; written, replacing any file there, as a destination).
    ///   - reference: The tag to read or write; `nil` reads the only image, or writes none.
    ///   - layerCompression: How layers leave the tarball as a source.
    ///   - blobConfiguration: Blob tunables.
    public init(
        file: URL, reference: ImageReference? = nil, layerCompression: LayerOptions.Compression = .gzip(level: 6),
        blobConfiguration: BlobClient.Configuration = BlobClient.Configuration()
    ) {
        self.file = file
        self.reference = reference
        self.layerCompression = layerCompression
        self.blobConfiguration = blobConfiguration
    }

    /// `docker-archive:<file>` with `:<reference>` when there is one, as skopeo writes it.
    public var description: String { "docker-archive:\(file.path)" + (reference.map { ":\($0.familiar)" } ?? "") }

    // MARK: ImageSource

    /// Reads `manifest.json` and the configuration, prepares each layer (compressing it when
    /// ``layerCompression`` says so, checking its diff ID) and returns a manifest for them.
    ///
    /// The manifest is Docker's schema 2 for gzip layers and an OCI manifest for uncompressed ones.
    public func rootManifest() async throws -> (document: ManifestDocument, descriptor: Descriptor) {
        let prepared = try state.source { try DockerArchiveReader(image: self).prepare() }
        return (prepared.document, prepared.document.descriptor)
    }

    /// A docker archive lists no index: always throws.
    public func manifest(for descriptor: Descriptor) async throws -> ManifestDocument {
        throw DockerArchiveError(.unsupportedImage, "a docker archive holds single-platform images, not an index", path: file)
    }

    /// The layer or configuration: a range of the tarball, or the compressed layer prepared from it.
    public func blob(_ descriptor: Descriptor) throws -> BlobUploadSource {
        guard let place = state.preparedSource?.blobs[descriptor.digest] else {
            throw DockerArchiveError(.missingFile, "blob \(descriptor.digest) is not part of the image read from the archive", path: file)
        }
        switch place {
        case .file(let url):
            return try .file(url, readSize: blobConfiguration.fileReadSize)
        case .archive(let offset, let size):
            let url = file
            let readSize = max(4096, blobConfiguration.fileReadSize)
            return BlobUploadSource(size: size) { range in
                ByteBufferSequence(ArchiveRangeSequence(url: url, range: (offset + range.lowerBound)..<(offset + range.upperBound), readSize: readSize))
            }
        }
    }

    /// A tarball is no registry: nothing can be mounted from it.
    public var blobLocation: BlobLocation? { nil }

    // MARK: ImageDestination

    /// Always `nil`: a tarball is written whole each time.
    public func currentDigest() async throws -> ContentDigest? { nil }

    /// Stores the blob in a staging directory beside ``file``: a gzip layer decompressed (its compressed digest
    /// and size verified, its diff ID computed), anything else verified as it is.
    public func putBlob(
        _ descriptor: Descriptor, from bytes: BlobUploadSource, origin: BlobLocation?,
        progress: TransferEventHandler?
    ) async throws -> UploadResult.Outcome {
        let staging = try state.stagingDirectory(beside: file)
        let digest = descriptor.digest
        if descriptor.mediaType.isZstd {
            throw DockerArchiveError(
                .unsupportedImage, "layer \(digest) is zstd-compressed, which this SDK cannot decompress; choose an image with gzip layers", path: file)
        }
        let staged: StagedBlob
        if descriptor.mediaType.isGzip {
            staged = try await DockerArchiveWriter.decompress(
                bytes, descriptor: descriptor, into: staging, progress: progress, interval: blobConfiguration.progressInterval)
        } else {
            let url = staging.appendingPathComponent(digest.encoded)
            let size = try await BlobFile.write(
                bytes, digest: digest, to: url, progressInterval: blobConfiguration.progressInterval, progress: progress)
            staged = StagedBlob(url: url, diffID: digest, size: size)
        }
        state.record(staged, for: digest)
        return .uploaded
    }

    /// Checks every layer's diff ID against the configuration, then writes the tarball (to a temporary file,
    /// renamed to ``file``).
    public func putManifest(_ document: ManifestDocument, descriptor: Descriptor, root: Bool) async throws {
        guard root, case .manifest(let manifest) = document.content else {
            throw DockerArchiveError(
                .unsupportedImage, "a docker archive holds one platform's image, not an index; choose one platform", path: file)
        }
        try DockerArchiveWriter(image: self, staged: state.stagedBlobs).write(manifest)
        state.removeStaging()
    }

    /// Removes the staging directory and any temporary tarball; ``file`` is untouched.
    public func discard() async {
        state.removeStaging()
    }
}

/// Why a docker archive cannot be read or written.
public struct DockerArchiveError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The code's name, such as `invalidArchive`.
        public var description: String { name }

        /// The file is not an uncompressed tar archive, or is truncated or damaged.
        public static let invalidArchive = Code("invalidArchive")
        /// `manifest.json` is missing or malformed, or names a file the archive lacks.
        public static let missingFile = Code("missingFile")
        /// No image of the archive has the tag asked for.
        public static let imageNotFound = Code("imageNotFound")
        /// No tag was given and the archive holds several images.
        public static let ambiguousImage = Code("ambiguousImage")
        /// A layer's diff ID does not match the configuration's `rootfs.diff_ids`.
        public static let layerMismatch = Code("layerMismatch")
        /// The image cannot go into a docker archive (an index, zstd layers).
        public static let unsupportedImage = Code("unsupportedImage")
        /// Reading or writing a file failed.
        public static let fileSystem = Code("fileSystem")
    }

    /// What went wrong.
    public let code: Code
    /// What happened and what to do.
    public let message: String
    /// The tarball concerned.
    public let path: String

    init(_ code: Code, _ message: String, path: URL) {
        self.code = code
        self.message = message
        self.path = path.path
    }

    /// The message.
    public var description: String { message }

    static func system(_ number: Int32, _ action: String, _ url: URL) -> DockerArchiveError {
        DockerArchiveError(.fileSystem, "\(action) \(url.path) failed: \(String(cString: strerror(number)))", path: url)
    }

    /// A failure writing a tarball or a staged layer, in the archive's terms: a step of the staged file and a read
    /// of the tar writer become ``Code/fileSystem``; any other error is returned as it is.
    static func writing(_ error: any Error, _ url: URL) -> any Error {
        switch error {
        case let failure as StagedFile.Failure:
            let action = failure.step == .create ? "creating" : failure.step == .rename ? "moving the file into place at" : "writing"
            return DockerArchiveError.system(failure.code, action, URL(fileURLWithPath: failure.path))
        case let failure as LayerError:
            return DockerArchiveError(.fileSystem, failure.message, path: failure.path.map { URL(fileURLWithPath: $0) } ?? url)
        default:
            return error
        }
    }
}

/// Where a blob of a source archive is.
enum ArchiveBlobPlace: Sendable {
    /// Bytes of the tarball.
    case archive(offset: Int64, size: Int64)
    /// A file prepared from it (a compressed layer).
    case file(URL)
}

/// What reading an archive prepared: the manifest and where each blob is.
struct PreparedArchive: Sendable {
    var document: ManifestDocument
    var blobs: [ContentDigest: ArchiveBlobPlace]
}

/// A blob a destination archive received: its file in the staging directory and, for a layer, the digest and
/// size of the uncompressed tar.
struct StagedBlob: Sendable {
    var url: URL
    var diffID: ContentDigest
    var size: Int64
}

/// The mutable part of a ``DockerArchiveImage``, shared by its copies: what the source prepared and what the
/// destination staged, with their temporary directories (removed when the last copy goes).
final class DockerArchiveState: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var prepared: PreparedArchive?
    private var preparing: URL?
    private var staging: URL?
    private var staged: [ContentDigest: StagedBlob] = [:]

    deinit {
        if let preparing { try? FileManager.default.removeItem(at: preparing) }
        if let staging { try? FileManager.default.removeItem(at: staging) }
    }

    var preparedSource: PreparedArchive? { lock.withLock { prepared } }

    /// The prepared source, made once by `make` (under the lock: other callers wait for it).
    func source(_ make: () throws -> (PreparedArchive, URL?)) throws -> PreparedArchive {
        try lock.withLock {
            if let prepared { return prepared }
            let (made, directory) = try make()
            prepared = made
            preparing = directory
            return made
        }
    }

    /// The staging directory beside `file`, created on first use.
    func stagingDirectory(beside file: URL) throws -> URL {
        try lock.withLock {
            if let staging { return staging }
            let url = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).partial-\(UUID().uuidString)")
            do {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
            } catch {
                throw DockerArchiveError(.fileSystem, "cannot create \(url.path) beside the archive: \(error.localizedDescription)", path: file)
            }
            staging = url
            return url
        }
    }

    func record(_ blob: StagedBlob, for digest: ContentDigest) {
        lock.withLock { staged[digest] = blob }
    }

    var stagedBlobs: [ContentDigest: StagedBlob] { lock.withLock { staged } }

    func removeStaging() {
        let directory: URL? = lock.withLock {
            defer {
                staging = nil
                staged = [:]
            }
            return staging
        }
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }
}

/// One entry of `manifest.json`.
struct DockerArchiveManifestItem: Codable, Sendable {
    var config: String
    var repoTags: [String]?
    var layers: [String]

    enum CodingKeys: String, CodingKey {
        case config = "Config"
        case repoTags = "RepoTags"
        case layers = "Layers"
    }
}

/// Reads a tarball as a source.
struct DockerArchiveReader {
    let image: DockerArchiveImage
    /// `manifest.json` and configurations are read into memory, up to this size.
    static let documentLimit = 32 << 20

    var url: URL { image.file }

    func prepare() throws -> (PreparedArchive, URL?) {
        let index = try TarIndex(reading: url)
        let file = try ArchiveFile(url)
        let manifestEntry: TarEntry
        do {
            manifestEntry = try index.file("manifest.json")
        } catch {
            throw DockerArchiveError(.missingFile, "\(url.path) has no manifest.json; it is not a docker save tarball (an OCI layout tarball? extract it and read it as a layout)", path: url)
        }
        let items: [DockerArchiveManifestItem]
        do {
            items = try JSONDecoder().decode([DockerArchiveManifestItem].self, from: Data(try read(manifestEntry, file)))
        } catch let error as DockerArchiveError {
            throw error
        } catch {
            throw DockerArchiveError(.missingFile, "\(url.path): manifest.json is not a list of images: \(error)", path: url)
        }
        let item = try choose(items)
        let configEntry = try index.file(item.config)
        let configBytes = try read(configEntry, file)
        let configDigest = ContentDigest.sha256(of: configBytes)
        let configuration: ImageConfiguration
        do {
            configuration = try JSONDecoder().decode(ImageConfiguration.self, from: Data(configBytes))
        } catch {
            throw DockerArchiveError(.missingFile, "\(url.path): \(item.config) is not an image configuration: \(error)", path: url)
        }
        let diffIDs = configuration.rootfs.diffIDs
        guard diffIDs.count == item.layers.count else {
            throw DockerArchiveError(
                .layerMismatch, "\(url.path): the configuration lists \(diffIDs.count) diff IDs for \(item.layers.count) layers", path: url)
        }

        let compress: Bool
        if case .gzip = image.layerCompression { compress = true } else { compress = false }
        var directory: URL?
        var blobs: [ContentDigest: ArchiveBlobPlace] = [configDigest: .archive(offset: configEntry.offset, size: configEntry.size)]
        var layers: [Descriptor] = []
        var docker = compress
        var success = false
        defer { if !success, let directory { try? FileManager.default.removeItem(at: directory) } }
        for (position, path) in item.layers.enumerated() {
            let entry = try index.file(path)
            let magic = entry.size >= 4 ? try file.read(at: entry.offset, count: 4) : []
            if magic.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) {
                throw DockerArchiveError(.unsupportedImage, "\(url.path): layer \(path) is zstd-compressed, which this SDK cannot read", path: url)
            }
            if magic.starts(with: [0x1F, 0x8B]) {
                // Already compressed (crane and some tools write .tar.gz layers): sent as it is, diff ID checked.
                let (digest, diffID) = try hashCompressed(entry, file)
                try check(diffID, diffIDs[position], path)
                layers.append(Descriptor(mediaType: .ociLayerGzip, digest: digest, size: entry.size))
                blobs[digest] = .archive(offset: entry.offset, size: entry.size)
            } else if compress {
                let folder: URL
                if let directory {
                    folder = directory
                } else {
                    folder = FileManager.default.temporaryDirectory.appendingPathComponent("dockyard-docker-archive-\(UUID().uuidString)")
                    do {
                        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                    } catch {
                        throw DockerArchiveError(.fileSystem, "cannot create \(folder.path): \(error.localizedDescription)", path: url)
                    }
                    directory = folder
                }
                let target = folder.appendingPathComponent("\(position).tar.gz")
                let layer: Layer
                do {
                    layer = try LayerBuilder.build(
                        tarFrom: url, range: entry.offset..<(entry.offset + entry.size), to: target,
                        options: LayerOptions(compression: image.layerCompression))
                } catch {
                    throw DockerArchiveError(.fileSystem, "\(url.path): compressing layer \(path) failed: \(error)", path: url)
                }
                try check(layer.diffID, diffIDs[position], path)
                layers.append(Descriptor(mediaType: .dockerLayerGzip, digest: layer.descriptor.digest, size: layer.descriptor.size))
                blobs[layer.descriptor.digest] = .file(target)
            } else {
                // The tar as it is: its digest is its diff ID, which the destination verifies as the bytes flow.
                layers.append(Descriptor(mediaType: .ociLayer, digest: diffIDs[position], size: entry.size))
                blobs[diffIDs[position]] = .archive(offset: entry.offset, size: entry.size)
                docker = false
            }
        }
        if !docker {
            layers = layers.map { layer in
                var layer = layer
                if layer.mediaType == .dockerLayerGzip { layer.mediaType = .ociLayerGzip }
                return layer
            }
        } else {
            layers = layers.map { layer in
                var layer = layer
                if layer.mediaType == .ociLayerGzip { layer.mediaType = .dockerLayerGzip }
                return layer
            }
        }
        let config = Descriptor(mediaType: docker ? .dockerConfig : .ociConfig, digest: configDigest, size: configEntry.size)
        let manifest = ImageManifest(mediaType: docker ? .dockerManifest : .ociManifest, config: config, layers: layers)
        let document = try ManifestDocument(encoding: manifest)
        success = true
        return (PreparedArchive(document: document, blobs: blobs), directory)
    }

    private func check(_ actual: ContentDigest, _ expected: ContentDigest, _ path: String) throws(DockerArchiveError) {
        guard actual == expected else {
            throw DockerArchiveError(
                .layerMismatch, "\(url.path): layer \(path) has diff ID \(actual), but the configuration says \(expected); the archive is damaged", path: url)
        }
    }

    /// The image of `items` that ``DockerArchiveImage/reference`` names, or the only one.
    private func choose(_ items: [DockerArchiveManifestItem]) throws(DockerArchiveError) -> DockerArchiveManifestItem {
        guard let reference = image.reference else {
            guard items.count == 1, let only = items.first else {
                let tags = items.flatMap { $0.repoTags ?? [] }
                throw DockerArchiveError(
                    items.isEmpty ? .imageNotFound : .ambiguousImage,
                    items.isEmpty
                        ? "\(url.path) holds no image"
                        : "\(url.path) holds \(items.count) images; name one of its tags (\(tags.joined(separator: ", ")))",
                    path: url)
            }
            return only
        }
        for item in items {
            for tag in item.repoTags ?? [] {
                if let parsed = try? ImageReference(normalizing: tag), parsed == reference { return item }
            }
        }
        let tags = items.flatMap { $0.repoTags ?? [] }
        throw DockerArchiveError(
            .imageNotFound, "\(url.path) has no image tagged \(reference.familiar); its tags: \(tags.isEmpty ? "none" : tags.joined(separator: ", "))", path: url)
    }

    private func read(_ entry: TarEntry, _ file: ArchiveFile) throws(DockerArchiveError) -> [UInt8] {
        guard entry.size <= Int64(Self.documentLimit) else {
            throw DockerArchiveError(.invalidArchive, "\(url.path): \(entry.name) has \(entry.size) bytes, beyond the \(Self.documentLimit) allowed for a JSON document", path: url)
        }
        return try file.read(at: entry.offset, count: Int(entry.size))
    }

    /// The digest of a compressed layer's bytes and of what they decompress to, in one pass.
    private func hashCompressed(_ entry: TarEntry, _ file: ArchiveFile) throws -> (ContentDigest, ContentDigest) {
        var compressed = DigestHasher()
        var uncompressed = DigestHasher()
        let decompressor = try GzipDecompressor()
        var offset: Int64 = 0
        while offset < entry.size {
            let piece = try file.read(at: entry.offset + offset, count: Int(min(Int64(1 << 20), entry.size - offset)))
            try piece.withUnsafeBytes { bytes in
                compressed.update(bytes: bytes)
                try decompressor.decompress(bytes) { uncompressed.update(bytes: $0) }
            }
            offset += Int64(piece.count)
        }
        guard decompressor.isFinished else {
            throw DockerArchiveError(.invalidArchive, "\(url.path): layer \(entry.name) is a truncated gzip stream", path: url)
        }
        return (compressed.finalize(), uncompressed.finalize())
    }
}

/// Writes a tarball as a destination.
struct DockerArchiveWriter {
    let image: DockerArchiveImage
    let staged: [ContentDigest: StagedBlob]

    var url: URL { image.file }

    func write(_ manifest: ImageManifest) throws {
        guard let config = staged[manifest.config.digest] else {
            throw DockerArchiveError(.missingFile, "the configuration \(manifest.config.digest) was not received before the manifest", path: url)
        }
        guard config.size <= Int64(DockerArchiveReader.documentLimit) else {
            throw DockerArchiveError(.unsupportedImage, "the configuration has \(config.size) bytes, beyond the \(DockerArchiveReader.documentLimit) allowed", path: url)
        }
        let configBytes = try ArchiveFile(config.url).read(at: 0, count: Int(config.size))
        let configuration: ImageConfiguration
        do {
            configuration = try JSONDecoder().decode(ImageConfiguration.self, from: Data(configBytes))
        } catch {
            throw DockerArchiveError(.unsupportedImage, "the image's configuration cannot be read (\(error)); only images with a configuration go into a docker archive", path: url)
        }
        let diffIDs = configuration.rootfs.diffIDs
        guard diffIDs.count == manifest.layers.count else {
            throw DockerArchiveError(
                .layerMismatch, "the configuration lists \(diffIDs.count) diff IDs for the manifest's \(manifest.layers.count) layers", path: url)
        }
        var layers: [StagedBlob] = []
        for (layer, expected) in zip(manifest.layers, diffIDs) {
            guard let blob = staged[layer.digest] else {
                throw DockerArchiveError(.missingFile, "layer \(layer.digest) was not received before the manifest", path: url)
            }
            guard blob.diffID == expected else {
                throw DockerArchiveError(
                    .layerMismatch, "layer \(layer.digest) decompresses to \(blob.diffID), but the configuration says \(expected); the image is damaged", path: url)
            }
            layers.append(blob)
        }

        let configPath = "blobs/sha256/\(manifest.config.digest.encoded)"
        let layerPaths = layers.map { "blobs/sha256/\($0.diffID.encoded)" }
        var tags: [String] = []
        var repositories: [String: [String: String]] = [:]
        if let reference = image.reference, let tag = reference.tag {
            tags = ["\(reference.familiarName):\(tag)"]
            repositories[reference.familiarName] = [tag: layers.last?.diffID.encoded ?? manifest.config.digest.encoded]
        }
        let item = DockerArchiveManifestItem(config: configPath, repoTags: tags.isEmpty ? nil : tags, layers: layerPaths)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let manifestJSON = Array(try encoder.encode([item]))

        // The tarball goes to a temporary file beside `url`, renamed over it when complete (removed on failure).
        func file(_ name: String, size: Int64 = 0) -> TarHeader { TarHeader(name: name, kind: .file, mode: 0o644, size: size) }
        do {
            let staged = try StagedFile(replacing: url, temporaryName: ".\(url.lastPathComponent).partial-\(UUID().uuidString)", mode: 0o644)
            defer { staged.discard() }
            var tar = TarWriter(into: staged)
            try tar.append(TarHeader(name: "blobs/", kind: .directory, mode: 0o755))
            try tar.append(TarHeader(name: "blobs/sha256/", kind: .directory, mode: 0o755))
            try tar.append(file(configPath, size: config.size), contentsOf: config.url.path)
            var written = Set<ContentDigest>()
            for layer in layers where written.insert(layer.diffID).inserted {
                try tar.append(file("blobs/sha256/\(layer.diffID.encoded)", size: layer.size), contentsOf: layer.url.path)
            }
            try tar.append(file("manifest.json"), bytes: manifestJSON)
            if !repositories.isEmpty {
                try tar.append(file("repositories"), bytes: Array(try encoder.encode(repositories)))
            }
            try tar.finish()
            try staged.synchronize()
            try staged.commit()
        } catch {
            throw DockerArchiveError.writing(error, url)
        }
    }

    /// Streams a gzip layer into the staging directory: the compressed bytes verified (digest and size), the
    /// uncompressed ones hashed into the diff ID and written to `<digest>.tar`.
    static func decompress(
        _ source: BlobUploadSource, descriptor: Descriptor, into staging: URL, progress: TransferEventHandler?,
        interval: Duration
    ) async throws -> StagedBlob {
        let digest = descriptor.digest
        let target = staging.appendingPathComponent("\(digest.encoded).tar")
        progress?(.started(digest: digest, size: source.size))
        let output: StagedFile
        do {
            output = try StagedFile(replacing: target, temporaryName: "\(digest.encoded).partial", mode: 0o644)
        } catch {
            throw DockerArchiveError.writing(error, target)
        }
        defer { output.discard() }
        var compressed = source.verifiesDigest ? nil : DigestHasher(algorithm: digest.algorithm)
        var uncompressed = DigestHasher()
        let decompressor = try GzipDecompressor()
        var received: Int64 = 0
        var reported = ContinuousClock.now
        for try await buffer in try source.bytes(in: 0..<source.size) {
            try buffer.withUnsafeReadableBytes { bytes in
                compressed?.update(bytes: bytes)
                try decompressor.decompress(bytes) { piece in
                    uncompressed.update(bytes: piece)
                    do { try output.write(piece) } catch { throw DockerArchiveError.writing(error, target) }
                }
            }
            received += Int64(buffer.readableBytes)
            if let progress, ContinuousClock.now - reported >= interval {
                reported = ContinuousClock.now
                progress(.progressed(digest: digest, completed: received, total: source.size))
            }
        }
        guard received == source.size else {
            throw BlobTransferError(
                .sizeMismatch, message: "blob \(digest) has \(received) bytes, not the \(source.size) expected; nothing was kept", digest: digest)
        }
        if let actual = compressed?.finalize(), actual != digest {
            throw BlobTransferError(.digestMismatch, message: "the bytes given for blob \(digest) hash to \(actual); nothing was kept", digest: digest)
        }
        guard decompressor.isFinished else {
            throw DockerArchiveError(.invalidArchive, "layer \(digest) is not a complete gzip stream", path: staging)
        }
        do { try output.commit() } catch { throw DockerArchiveError.writing(error, target) }
        if let progress {
            progress(.progressed(digest: digest, completed: received, total: source.size))
            progress(.verified(digest: digest, size: received))
            progress(.finished(digest: digest, size: received))
        }
        return StagedBlob(url: target, diffID: uncompressed.finalize(), size: uncompressed.byteCount)
    }
}

/// Reads a byte range of a file as byte buffers, one `pread` per element, opening the file on first use.
struct ArchiveRangeSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let url: URL
    let range: Range<Int64>
    let readSize: Int

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(url: url, offset: range.lowerBound, end: range.upperBound, readSize: readSize) }

    struct AsyncIterator: AsyncIteratorProtocol {
        let url: URL
        var offset: Int64
        let end: Int64
        let readSize: Int
        var file: ArchiveFile?

        mutating func next() async throws -> ByteBuffer? {
            guard offset < end else {
                file = nil
                return nil
            }
            try Task.checkCancellation()
            let input: ArchiveFile
            if let file {
                input = file
            } else {
                input = try ArchiveFile(url)
                file = input
            }
            let bytes = try input.read(at: offset, count: Int(Swift.min(Int64(readSize), end - offset)))
            offset += Int64(bytes.count)
            return ByteBuffer(bytes: bytes)
        }
    }
}

/// A staged file takes a tar writer's bytes (the tarball being written).
extension StagedFile: ByteSink {}
