import Foundation

/// Builds small, reproducible OCI image layouts for tests, with `Fixtures/images/mklayout.py`.
///
/// Every layer is a gzip tar of pseudo-random bytes derived from the seed, the platform and the layer's
/// position, and every config lists the layers' real `diff_ids`, so the images are valid for any registry,
/// skopeo, and Dockyard's own verification. The same arguments always give the same digests.
///
/// ```swift
/// let scratch = try TemporaryDirectory()
/// let image = try await ImageBuilder.makeLayout(
///     at: scratch.appending("layout"), platforms: ["linux/amd64", "linux/arm64/v8"], layerSizes: [4096, 1 << 20])
/// // image.descriptor.digest is the index digest; image.images[0].layers[0].diffID …
/// ```
public enum ImageBuilder {
    /// Manifest media types to build.
    public enum Format: String, Sendable {
        /// OCI image manifests and indexes.
        case oci
        /// Docker schema 2 manifests and manifest lists.
        case docker
    }

    /// A content descriptor as written by the builder.
    public struct Descriptor: Sendable, Hashable, Decodable {
        /// The media type.
        public var mediaType: String
        /// `sha256:<hex>`.
        public var digest: String
        /// The size in bytes.
        public var size: Int64
    }

    /// A layer: its descriptor and the digest of its uncompressed tar.
    public struct Layer: Sendable, Hashable, Decodable {
        /// The media type.
        public var mediaType: String
        /// The digest of the compressed blob.
        public var digest: String
        /// The size of the compressed blob.
        public var size: Int64
        /// The digest of the uncompressed tar (the config's `rootfs.diff_ids` entry).
        public var diffID: String
    }

    /// One platform's image.
    public struct Image: Sendable, Hashable, Decodable {
        /// `os/arch[/variant]`.
        public var platform: String
        /// The manifest.
        public var manifest: Descriptor
        /// The config.
        public var config: Descriptor
        /// The layers, in order.
        public var layers: [Layer]

        /// Every blob the image references (config and layers), manifest excluded.
        public var blobs: [String] { [config.digest] + layers.map(\.digest) }
    }

    /// What ``makeLayout(at:tag:platforms:layerSizes:seed:format:forceIndex:)`` wrote.
    public struct Layout: Sendable, Hashable, Decodable {
        /// The layout directory.
        public var directory: URL
        /// The tag (`org.opencontainers.image.ref.name`).
        public var tag: String
        /// What the tag points at: an index for several platforms, else the manifest.
        public var descriptor: Descriptor
        /// One image per platform, in the order given.
        public var images: [Image]

        /// The path of a blob inside the layout.
        ///
        /// - Parameter digest: `sha256:<hex>`.
        /// - Returns: `<layout>/blobs/sha256/<hex>`.
        public func blobPath(_ digest: String) -> URL {
            let parts = digest.split(separator: ":", maxSplits: 1).map(String.init)
            return directory.appendingPathComponent("blobs").appendingPathComponent(parts.first ?? "sha256")
                .appendingPathComponent(parts.count > 1 ? parts[1] : digest)
        }

        /// skopeo's name for the image: `oci:<dir>:<tag>`.
        public var skopeoReference: String { "oci:\(directory.path):\(tag)" }

        enum CodingKeys: String, CodingKey {
            case directory = "layout", tag, descriptor, images
        }

        /// Decodes mklayout.py's summary.
        ///
        /// - Parameter decoder: The decoder.
        /// - Throws: `DecodingError` when the summary lacks a field.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            directory = URL(fileURLWithPath: try container.decode(String.self, forKey: .directory), isDirectory: true)
            tag = try container.decode(String.self, forKey: .tag)
            descriptor = try container.decode(Descriptor.self, forKey: .descriptor)
            images = try container.decode([Image].self, forKey: .images)
        }
    }

    /// Writes an image into an OCI image layout (created, or extended with another tag).
    ///
    /// - Parameters:
    ///   - directory: The layout directory.
    ///   - tag: The tag to write into `index.json`.
    ///   - platforms: `os/arch[/variant]` of each image; several give an index.
    ///   - layerSizes: The size of the random payload of each layer, in bytes (each platform gets the same sizes).
    ///   - seed: Makes the content; change it for different digests.
    ///   - format: OCI or Docker media types.
    ///   - forceIndex: Write an index even for one platform.
    /// - Returns: The digests and sizes of everything written.
    /// - Throws: ``ProcessFailure`` or ``ProcessRunnerError`` when the builder fails; `DecodingError` for bad output.
    public static func makeLayout(
        at directory: URL,
        tag: String = "v1",
        platforms: [String] = ["linux/amd64"],
        layerSizes: [Int] = [1024],
        seed: String = "dockyard",
        format: Format = .oci,
        forceIndex: Bool = false
    ) async throws -> Layout {
        var arguments = [TestFixtures.url("images/mklayout.py").path, directory.path, "--tag", tag, "--seed", seed,
                         "--format", format.rawValue]
        for platform in platforms { arguments += ["--platform", platform] }
        for size in layerSizes { arguments += ["--layer-size", String(size)] }
        if forceIndex { arguments.append("--index") }
        let result = try await ProcessRunner.check("python3", arguments: arguments, timeout: .seconds(600))
        return try JSONDecoder().decode(Layout.self, from: result.stdout)
    }

    /// A short random string for unique repository names and seeds.
    public static func uniqueSuffix() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }
}
