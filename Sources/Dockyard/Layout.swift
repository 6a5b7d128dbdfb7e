import DockyardManifests
import DockyardReferences
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An OCI image layout directory: `oci-layout`, `index.json` and content-addressed `blobs/<alg>/<hex>`.
///
/// The format is the OCI image spec's "OCI Image Layout Specification", as skopeo (`oci:DIR:TAG`) and crane
/// write it. Several images share one layout and its blobs; each top-level entry of `index.json` may carry a
/// name in the `org.opencontainers.image.ref.name` annotation (a tag such as `v1`).
///
/// Blobs are written by renaming a verified temporary file into place, so a blob path never holds bytes that do
/// not match its name. `index.json` is replaced the same way.
public struct OCILayout: Sendable {
    /// The annotation that names an entry of `index.json`.
    public static let refNameAnnotation = "org.opencontainers.image.ref.name"
    /// The layout version this type writes, in `oci-layout`.
    public static let layoutVersion = "1.0.0"

    /// The layout's directory.
    public let directory: URL

    /// Opens a layout; a missing one is created on the first write, so opening alone leaves nothing on disk.
    ///
    /// - Parameters:
    ///   - directory: The layout's directory.
    ///   - create: Whether a missing layout may be created (on the first write); when `false`, a directory
    ///     without `oci-layout` is an error.
    /// - Throws: ``LayoutError`` when the directory is not a layout (and `create` is `false`), or holds another
    ///   layout version.
    public init(at directory: URL, create: Bool = true) throws {
        self.directory = directory.standardizedFileURL
        let marker = self.directory.appendingPathComponent("oci-layout")
        if FileManager.default.fileExists(atPath: marker.path) {
            struct Marker: Decodable { var imageLayoutVersion: String }
            let data = try LayoutError.reading(marker) { try Data(contentsOf: marker) }
            guard let parsed = try? JSONDecoder().decode(Marker.self, from: data) else {
                throw LayoutError(.invalidLayout, "\(marker.path) is not a valid oci-layout file", path: marker)
            }
            guard parsed.imageLayoutVersion.hasPrefix("1.") else {
                throw LayoutError(
                    .invalidLayout, "\(directory.path) is an OCI layout version \(parsed.imageLayoutVersion); only 1.x is supported",
                    path: marker)
            }
        } else if !create {
            throw LayoutError(
                .invalidLayout, "\(directory.path) is not an OCI image layout (no oci-layout file)",
                path: directory)
        }
    }

    /// Whether the layout exists on disk (its `oci-layout` file does).
    public var exists: Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("oci-layout").path)
    }

    /// Creates the directory, `oci-layout`, `blobs/` and an empty `index.json` where missing.
    func materialize() throws {
        let manager = FileManager.default
        let marker = directory.appendingPathComponent("oci-layout")
        if !manager.fileExists(atPath: marker.path) {
            try LayoutError.writing(directory) {
                try manager.createDirectory(at: directory.appendingPathComponent("blobs"), withIntermediateDirectories: true)
            }
            if !manager.fileExists(atPath: indexURL.path) { try writeIndex([]) }
            try writeAtomically(Array(#"{"imageLayoutVersion":"\#(OCILayout.layoutVersion)"}"#.utf8), to: marker)
        }
    }

    /// The path of `index.json`.
    public var indexURL: URL { directory.appendingPathComponent("index.json") }

    /// The path of a blob, `blobs/<algorithm>/<encoded>`.
    ///
    /// - Parameter digest: The blob's digest.
    /// - Returns: The file URL (which may not exist).
    public func blobURL(for digest: ContentDigest) -> URL {
        directory.appendingPathComponent("blobs").appendingPathComponent(digest.algorithm.rawValue)
            .appendingPathComponent(digest.encoded)
    }

    /// Whether the layout holds a blob of the descriptor's size.
    ///
    /// The content is not re-hashed: blobs are only ever renamed into place after verification.
    ///
    /// - Parameter descriptor: The blob's descriptor.
    /// - Returns: `true` when `blobs/<alg>/<hex>` exists with the descriptor's size.
    public func contains(_ descriptor: Descriptor) -> Bool {
        var info = stat()
        guard stat(blobURL(for: descriptor.digest).path, &info) == 0 else { return false }
        return Int64(info.st_size) == descriptor.size
    }

    /// The top-level entries of `index.json`.
    ///
    /// - Returns: The descriptors, in file order.
    /// - Throws: ``LayoutError`` when `index.json` is missing or invalid.
    public func entries() throws -> [Descriptor] {
        if !exists && !FileManager.default.fileExists(atPath: indexURL.path) { return [] }
        let data = try LayoutError.reading(indexURL) { try Data(contentsOf: indexURL) }
        do {
            return try JSONDecoder().decode(LayoutIndexFile.self, from: data).manifests
        } catch {
            throw LayoutError(.invalidLayout, "\(indexURL.path) is not a valid image index: \(error)", path: indexURL)
        }
    }

    /// The entry named `refName`, or the only entry when `refName` is `nil`.
    ///
    /// - Parameter refName: The `org.opencontainers.image.ref.name` to look for.
    /// - Returns: The entry's descriptor.
    /// - Throws: ``LayoutError`` (``LayoutError/Code/referenceNotFound``) when no entry has the name, or
    ///   (``LayoutError/Code/ambiguousReference``) when `refName` is `nil` and there is not exactly one entry.
    public func entry(named refName: String?) throws -> Descriptor {
        let all = try entries()
        if let refName {
            guard let found = all.last(where: { $0.annotations?[OCILayout.refNameAnnotation] == refName }) else {
                let names = all.compactMap { $0.annotations?[OCILayout.refNameAnnotation] }
                throw LayoutError(
                    .referenceNotFound,
                    "\(directory.path) has no image named '\(refName)'" + (names.isEmpty ? "" : "; it has: \(names.joined(separator: ", "))"),
                    path: indexURL)
            }
            return found
        }
        guard all.count == 1, let only = all.first else {
            let names = all.compactMap { $0.annotations?[OCILayout.refNameAnnotation] }
            throw LayoutError(
                .ambiguousReference,
                all.isEmpty
                    ? "\(directory.path) holds no image"
                    : "\(directory.path) holds \(all.count) images; choose one by name (\(names.joined(separator: ", ")))",
                path: indexURL)
        }
        return only
    }

    /// Reads a manifest or index blob, checking its digest.
    ///
    /// - Parameter descriptor: The document's descriptor.
    /// - Returns: The document with its exact bytes.
    /// - Throws: ``LayoutError`` when the blob is missing, too large or corrupt, or `ManifestError` when it is not
    ///   a manifest.
    public func document(_ descriptor: Descriptor) throws -> ManifestDocument {
        let url = blobURL(for: descriptor.digest)
        guard descriptor.size <= RegistryClient.maxManifestBytes else {
            throw LayoutError(.invalidLayout, "manifest \(descriptor.digest) is larger than \(RegistryClient.maxManifestBytes) bytes", path: url)
        }
        // Check the file's real size first, so a damaged layout cannot make this read an unbounded file into memory.
        var info = stat()
        if stat(url.path, &info) == 0, Int64(info.st_size) != descriptor.size {
            throw LayoutError(
                .corruptBlob, "\(url.path) holds \(info.st_size) bytes, not the \(descriptor.size) of \(descriptor.digest); the layout is damaged",
                path: url)
        }
        let bytes = try LayoutError.reading(url) { [UInt8](try Data(contentsOf: url)) }
        guard descriptor.digest.matches(bytes) else {
            throw LayoutError(.corruptBlob, "\(url.path) does not hash to \(descriptor.digest); the layout is damaged", path: url)
        }
        return try ManifestDocument(bytes: bytes, mediaType: descriptor.mediaType)
    }

    /// Stores a small blob (a manifest, index or config) from memory, unless it is already there.
    ///
    /// - Parameters:
    ///   - bytes: The blob's bytes.
    ///   - digest: The digest they must hash to.
    /// - Throws: ``LayoutError`` when the bytes do not match or cannot be written.
    public func storeBlob(_ bytes: [UInt8], digest: ContentDigest) throws {
        guard digest.matches(bytes) else {
            throw LayoutError(.corruptBlob, "the bytes given for \(digest) hash to something else", path: blobURL(for: digest))
        }
        let url = blobURL(for: digest)
        var info = stat()
        if stat(url.path, &info) == 0, Int64(info.st_size) == Int64(bytes.count) { return }
        try prepareBlobDirectory(for: digest)
        try writeAtomically(bytes, to: url)
    }

    /// Creates `blobs/<algorithm>/`.
    func prepareBlobDirectory(for digest: ContentDigest) throws {
        try materialize()
        let folder = blobURL(for: digest).deletingLastPathComponent()
        try LayoutError.writing(folder) {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
    }

    /// Adds an entry to `index.json`, replacing any entry of the same name (or, without a name, of the same digest).
    ///
    /// - Parameters:
    ///   - descriptor: The manifest or index to list; its blob must already be stored.
    ///   - refName: The name to give it (`org.opencontainers.image.ref.name`), if any.
    /// - Throws: ``LayoutError`` when `index.json` cannot be read or written, or is not a valid image index (it is
    ///   then left as it is).
    public func setEntry(_ descriptor: Descriptor, named refName: String?) throws {
        try materialize()
        // Several processes may pull into one layout: serialise the read-modify-write of index.json.
        let lockURL = directory.appendingPathComponent(".index.json.lock")
        let lock = open(lockURL.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else {
            throw LayoutError(.fileSystem, "cannot open \(lockURL.path): \(String(cString: strerror(errno)))", path: lockURL)
        }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw LayoutError(.fileSystem, "cannot lock \(lockURL.path): \(String(cString: strerror(errno)))", path: lockURL)
            }
        }
        defer { flock(lock, LOCK_UN) }
        var entry = descriptor
        var annotations = entry.annotations ?? [:]
        annotations[OCILayout.refNameAnnotation] = refName
        entry.annotations = annotations.isEmpty ? nil : annotations
        // An unreadable index.json is an error, not an empty list: replacing it would drop the images it names.
        var all = FileManager.default.fileExists(atPath: indexURL.path) ? try entries() : []
        all.removeAll { existing in
            if let refName { return existing.annotations?[OCILayout.refNameAnnotation] == refName }
            return existing.digest == descriptor.digest && existing.annotations?[OCILayout.refNameAnnotation] == nil
        }
        all.append(entry)
        try writeIndex(all)
    }

    private func writeIndex(_ manifests: [Descriptor]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(LayoutIndexFile(manifests: manifests))
        try writeAtomically([UInt8](data), to: indexURL)
    }

    /// Writes a file by renaming a temporary file beside it into place.
    func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(UUID().uuidString)")
        do {
            try Data(bytes).write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw LayoutError(.fileSystem, "cannot move \(temporary.path) to \(url.path): \(String(cString: strerror(errno)))", path: url)
            }
        } catch let error as LayoutError {
            unlink(temporary.path)
            throw error
        } catch {
            unlink(temporary.path)
            throw LayoutError(.fileSystem, "cannot write \(url.path): \(error.localizedDescription)", path: url)
        }
    }
}

/// The JSON shape of `index.json`.
struct LayoutIndexFile: Codable {
    var schemaVersion = 2
    var mediaType = MediaType.ociIndex.rawValue
    var manifests: [Descriptor]

    init(manifests: [Descriptor]) { self.manifests = manifests }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try container.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 2
        mediaType = try container.decodeIfPresent(String.self, forKey: .mediaType) ?? MediaType.ociIndex.rawValue
        manifests = try container.decodeIfPresent([Descriptor].self, forKey: .manifests) ?? []
    }
}

/// An error reading or writing an ``OCILayout``.
public struct LayoutError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The code's name, such as `missingBlob`.
        public var description: String { name }

        /// The directory is not a usable OCI layout.
        public static let invalidLayout = Code("invalidLayout")
        /// No entry of `index.json` has the requested name.
        public static let referenceNotFound = Code("referenceNotFound")
        /// No name was given and the layout does not hold exactly one image.
        public static let ambiguousReference = Code("ambiguousReference")
        /// A blob the image needs is not in the layout.
        public static let missingBlob = Code("missingBlob")
        /// A blob's bytes do not match its name.
        public static let corruptBlob = Code("corruptBlob")
        /// Reading or writing failed.
        public static let fileSystem = Code("fileSystem")
    }

    /// What went wrong.
    public let code: Code
    /// A readable explanation with what to do.
    public let message: String
    /// The file or directory concerned.
    public let path: String

    init(_ code: Code, _ message: String, path: URL) {
        self.code = code
        self.message = message
        self.path = path.path
    }

    /// The message: what happened and what to do.
    public var description: String { message }

    static func reading<T>(_ url: URL, _ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            throw LayoutError(.fileSystem, "cannot read \(url.path): \(error.localizedDescription)", path: url)
        }
    }

    static func writing<T>(_ url: URL, _ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            throw LayoutError(.fileSystem, "cannot write \(url.path): \(error.localizedDescription)", path: url)
        }
    }
}
