import Dockyard
import DockyardTestSupport
import Foundation

/// Writes small, reproducible OCI images into layouts for image tests: gzip tar layers (stored deflate blocks, so
/// no zlib is needed), a config whose `rootfs.diff_ids` match the uncompressed tars, one manifest per platform and,
/// for several platforms, an index.
enum TestImages {
    struct Built {
        /// The layout entry: the index, or the only manifest.
        var entry: Descriptor
        /// Each platform's manifest.
        var manifests: [Descriptor]
        /// Every config and layer blob.
        var blobs: [Descriptor]
    }

    /// Builds an image in `layout` under `refName`.
    ///
    /// - Parameters:
    ///   - layout: Where to write.
    ///   - refName: The entry's name.
    ///   - platforms: `["linux/amd64"]` for a single manifest; more make an index.
    ///   - layerSizes: Random bytes per layer (each layer also holds a small text file naming its platform).
    ///   - seed: Varies the content so that different tests get different digests; by default a fresh one, printed
    ///     with the test's name (``TestSeed``).
    static func build(
        in layout: OCILayout,
        refName: String,
        platforms: [String] = ["linux/amd64"],
        layerSizes: [Int] = [1_000, 20_000],
        seed: UInt64 = TestSeed.make("image content")
    ) throws -> Built {
        var manifests: [Descriptor] = []
        var blobs: [Descriptor] = []
        var generator = Generator(seed: seed)
        for platformText in platforms {
            let parts = platformText.split(separator: "/").map(String.init)
            var layers: [Descriptor] = []
            var diffIDs: [String] = []
            for (index, size) in layerSizes.enumerated() {
                let text = Array("layer \(index) for \(platformText), seed \(seed)\n".utf8)
                let tar = Tar.archive([("hello-\(index).txt", text), ("data-\(index).bin", generator.bytes(size))])
                diffIDs.append(ContentDigest.sha256(of: tar).description)
                let gz = Gzip.stored(tar)
                layers.append(try store(gz, mediaType: .ociLayerGzip, in: layout))
            }
            var config: [String: Any] = [
                "architecture": parts[1], "os": parts[0],
                "config": ["Cmd": ["/bin/sh"]],
                "rootfs": ["type": "layers", "diff_ids": diffIDs],
            ]
            if parts.count > 2 { config["variant"] = parts[2] }
            let configDescriptor = try store(json(config), mediaType: .ociConfig, in: layout)
            let manifest: [String: Any] = [
                "schemaVersion": 2,
                "mediaType": MediaType.ociManifest.rawValue,
                "config": descriptorJSON(configDescriptor),
                "layers": layers.map { descriptorJSON($0) },
            ]
            var manifestDescriptor = try store(json(manifest), mediaType: .ociManifest, in: layout)
            manifestDescriptor.platform = try Platform(parsing: platformText)
            manifests.append(manifestDescriptor)
            blobs += [configDescriptor] + layers
        }
        var entry = manifests[0]
        if platforms.count > 1 {
            let index: [String: Any] = [
                "schemaVersion": 2,
                "mediaType": MediaType.ociIndex.rawValue,
                "manifests": manifests.map { descriptorJSON($0) },
            ]
            entry = try store(json(index), mediaType: .ociIndex, in: layout)
        } else {
            entry.platform = nil
        }
        try layout.setEntry(entry, named: refName)
        return Built(entry: entry, manifests: manifests, blobs: blobs)
    }

    private static func store(_ bytes: [UInt8], mediaType: MediaType, in layout: OCILayout) throws -> Descriptor {
        let digest = ContentDigest.sha256(of: bytes)
        try layout.storeBlob(bytes, digest: digest)
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }

    private static func descriptorJSON(_ descriptor: Descriptor) -> [String: Any] {
        var object: [String: Any] = [
            "mediaType": descriptor.mediaType.rawValue, "digest": descriptor.digest.description, "size": descriptor.size,
        ]
        if let platform = descriptor.platform {
            var p: [String: Any] = ["os": platform.os, "architecture": platform.architecture]
            if let variant = platform.variant { p["variant"] = variant }
            object["platform"] = p
        }
        return object
    }

    private static func json(_ object: [String: Any]) throws -> [UInt8] {
        [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    /// Every regular file under a layout's `blobs/`, by relative path, with its bytes' digest.
    static func blobFiles(_ directory: URL) throws -> [String: ContentDigest] {
        var result: [String: ContentDigest] = [:]
        let root = directory.appendingPathComponent("blobs")
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [:] }
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            let relative = url.path.replacingOccurrences(of: root.path + "/", with: "")
            result[relative] = ContentDigest.sha256(of: [UInt8](try Data(contentsOf: url)))
        }
        return result
    }

    /// A small deterministic byte generator (xorshift64*).
    struct Generator {
        var state: UInt64
        init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
        mutating func bytes(_ count: Int) -> [UInt8] {
            var out = [UInt8]()
            out.reserveCapacity(count + 8)
            while out.count < count {
                state ^= state >> 12
                state ^= state << 25
                state ^= state >> 27
                let value = state &* 0x2545_F491_4F6C_DD1D
                withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
            }
            return Array(out.prefix(count))
        }
    }
}

/// A minimal ustar writer: regular files only.
enum Tar {
    static func archive(_ files: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, data) in files {
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int) {
                for (i, byte) in text.utf8.enumerated() { header[offset + i] = byte }
            }
            put(name, at: 0)
            put("0000644", at: 100)
            put("0000000", at: 108)
            put("0000000", at: 116)
            put(String(format: "%011o", data.count), at: 124)
            put("00000000000", at: 136)
            put("        ", at: 148)
            header[156] = UInt8(ascii: "0")
            put("ustar", at: 257)
            put("00", at: 263)
            put("root", at: 265)
            put("root", at: 297)
            let sum = header.reduce(0) { $0 + Int($1) }
            put(String(format: "%06o", sum), at: 148)
            header[154] = 0
            header[155] = UInt8(ascii: " ")
            out += header
            out += data
            out += [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        }
        out += [UInt8](repeating: 0, count: 1024)
        return out
    }
}

/// gzip (RFC 1952) with stored deflate blocks (RFC 1951 §3.2.4): valid everywhere, no compression library needed.
enum Gzip {
    static func stored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
        var offset = 0
        repeat {
            let count = min(65_535, data.count - offset)
            let final: UInt8 = offset + count == data.count ? 1 : 0
            out.append(final)
            out += [UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
            out += data[offset..<offset + count]
            offset += count
        } while offset < data.count
        let crc = crc32(data)
        let size = UInt32(truncatingIfNeeded: data.count)
        for value in [crc, size] {
            withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

/// Clients and references for image tests on localhub's open registry and its fault proxy.
enum ImageFixtures {
    static func client(configure: (inout RegistryClient.Configuration) -> Void = { _ in }) throws -> RegistryClient {
        var configuration = RegistryClient.Configuration()
        configure(&configuration)
        return try RegistryClient(configuration: configuration, credentials: AnonymousCredentials())
    }

    static func reference(_ registry: LocalHub.Registry, _ stem: String, tag: String = "v1") throws -> ImageReference {
        try ImageReference(normalizing: "\(registry.host)/dockyard/\(stem)-\(String(UInt64.random(in: 0..<UInt64.max), radix: 36)):\(tag)")
    }

    /// The same repository and tag on another registry endpoint (the fault proxy and `open` share storage).
    static func on(_ registry: LocalHub.Registry, _ reference: ImageReference) throws -> ImageReference {
        try ImageReference(normalizing: "\(registry.host)/\(reference.path):\(reference.tag ?? "latest")")
    }

    static func layout() throws -> (TemporaryDirectory, OCILayout) {
        let directory = try TemporaryDirectory(prefix: "image-test")
        return (directory, try OCILayout(at: directory.url.appendingPathComponent("layout")))
    }
}
