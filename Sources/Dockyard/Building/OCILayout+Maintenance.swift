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

/// One image of an OCI layout, as ``OCILayout/images()`` lists it.
public struct LayoutImageSummary: Sendable, Hashable {
    /// The entry's `org.opencontainers.image.ref.name`, if it has one.
    public var name: String?
    /// The entry: a manifest or an index.
    public var descriptor: Descriptor
    /// The platforms: the index's entries, or the manifest's configuration (empty when unreadable).
    public var platforms: [Platform]
}

/// What ``OCILayout/collectGarbage(dryRun:)`` removed (or would remove).
public struct LayoutCollection: Sendable, Hashable {
    /// The blobs no image refers to.
    public var removed: [ContentDigest]
    /// Their total size in bytes.
    public var bytes: Int64
    /// The blobs kept.
    public var kept: Int
}

extension OCILayout {
    /// The images of the layout: each `index.json` entry with its name and platforms.
    ///
    /// - Returns: The entries, in file order.
    /// - Throws: ``LayoutError`` when `index.json` cannot be read.
    public func images() throws -> [LayoutImageSummary] {
        try entries().map { entry in
            var platforms: [Platform] = []
            if let document = try? document(entry) {
                switch document.content {
                case .index(let index):
                    platforms = index.manifests.compactMap { descriptor in
                        descriptor.annotations?["vnd.docker.reference.type"] == "attestation-manifest" ? nil : descriptor.platform
                    }
                case .manifest(let manifest):
                    if manifest.config.mediaType.isImageConfiguration, contains(manifest.config), manifest.config.size <= 8 << 20,
                        let data = try? Data(contentsOf: blobURL(for: manifest.config.digest)),
                        let config = try? JSONDecoder().decode(ImageConfiguration.self, from: data)
                    {
                        platforms = [config.platform]
                    }
                default:
                    break
                }
            }
            return LayoutImageSummary(name: entry.annotations?[OCILayout.refNameAnnotation], descriptor: entry, platforms: platforms)
        }
    }

    /// Removes the blobs that no image of `index.json` refers to, directly or through an index or manifest.
    ///
    /// Reachable are the entries, every manifest an index lists, and every config and layer a manifest lists.
    /// Files whose names are not digests (temporary files of writes in progress) are left alone.
    ///
    /// - Important: Do not run it while another process writes an image into the layout: blobs written before
    ///   their manifest is listed would look unreferenced.
    /// - Parameter dryRun: Report what would be removed without removing it.
    /// - Returns: What was removed.
    /// - Throws: ``LayoutError`` when `index.json`, a manifest or the blob directory cannot be read, or a blob
    ///   cannot be removed. Nothing is removed when a reachable manifest cannot be read.
    @discardableResult
    public func collectGarbage(dryRun: Bool = false) throws -> LayoutCollection {
        var reachable = Set<ContentDigest>()
        var pending = try entries()
        while let descriptor = pending.popLast() {
            guard reachable.insert(descriptor.digest).inserted else { continue }
            guard descriptor.mediaType.isManifest || descriptor.mediaType == .ociIndex else { continue }
            guard contains(descriptor) else { continue }
            let document = try document(descriptor)
            switch document.content {
            case .index(let index): pending += index.manifests
            case .manifest(let manifest): pending += [manifest.config] + manifest.layers
            default: break
            }
        }
        var removed: [ContentDigest] = []
        var bytes: Int64 = 0
        var kept = 0
        let blobs = directory.appendingPathComponent("blobs")
        let algorithms = (try? FileManager.default.contentsOfDirectory(atPath: blobs.path)) ?? []
        for algorithmName in algorithms.sorted() {
            guard let algorithm = ContentDigest.Algorithm(rawValue: algorithmName) else { continue }
            let folder = blobs.appendingPathComponent(algorithmName)
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            } catch {
                throw LayoutError(.fileSystem, "cannot list \(folder.path): \(error.localizedDescription)", path: folder)
            }
            for name in names.sorted() {
                guard let digest = try? ContentDigest(algorithm: algorithm, encoded: name) else { continue }
                if reachable.contains(digest) {
                    kept += 1
                    continue
                }
                let url = folder.appendingPathComponent(name)
                var info = stat()
                if stat(url.path, &info) == 0 { bytes += Int64(info.st_size) }
                if !dryRun {
                    guard unlink(url.path) == 0 || errno == ENOENT else {
                        throw LayoutError(.fileSystem, "cannot remove \(url.path): \(String(cString: strerror(errno)))", path: url)
                    }
                }
                removed.append(digest)
            }
        }
        return LayoutCollection(removed: removed, bytes: bytes, kept: kept)
    }
}
