import DockyardBlobTransfer
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

/// An opened ``ImageLocation``: reads an image's documents and blobs, or writes them, streaming blobs.
struct ImageStore: Sendable {
    enum Backing: Sendable {
        case registry(RegistryClient, ImageReference)
        case layout(OCILayout, name: String?)
        case scratch
    }

    /// The largest configuration read into memory, 8 MiB (configurations are small JSON documents).
    static let maxConfigBytes = 8 << 20

    let backing: Backing
    let location: ImageLocation

    init(_ location: ImageLocation, client: RegistryClient, creating: Bool = false) throws {
        self.location = location
        switch location {
        case .registry(let reference): backing = .registry(client, reference)
        case .layout(let url, let name): backing = .layout(try OCILayout(at: url, create: creating), name: name)
        case .scratch: backing = .scratch
        }
    }

    /// The repository, when the image is in a registry.
    var repository: Repository? {
        if case .registry(_, let reference) = backing { return reference.repository }
        return nil
    }

    // MARK: Reading

    /// The top-level manifest or index.
    func top() async throws -> ManifestDocument {
        switch backing {
        case .registry(let client, let reference):
            return try await client.manifest(for: reference)
        case .layout(let layout, let name):
            return try layout.document(try layout.entry(named: name))
        case .scratch:
            throw LayerError(.invalidValue, "scratch is an empty image: it has no manifest to read")
        }
    }

    /// A manifest the top-level index lists.
    func document(_ descriptor: Descriptor) async throws -> ManifestDocument {
        switch backing {
        case .registry(let client, let reference):
            return try await client.manifest(for: reference.withDigest(descriptor.digest), accepting: [descriptor.mediaType])
        case .layout(let layout, _):
            return try layout.document(descriptor)
        case .scratch:
            throw LayerError(.invalidValue, "scratch has no manifests")
        }
    }

    /// A small blob (a configuration), read into memory with a size limit and verified.
    func smallBlob(_ descriptor: Descriptor) async throws -> [UInt8] {
        guard descriptor.size >= 0, descriptor.size <= Int64(ImageStore.maxConfigBytes) else {
            throw LayerError(
                .invalidValue,
                "blob \(descriptor.digest) claims \(descriptor.size) bytes; configurations over \(ImageStore.maxConfigBytes) bytes are refused")
        }
        if let data = descriptor.data, descriptor.digest.matches(data) { return data }
        switch backing {
        case .registry(let client, let reference):
            let reader = try client.blobClient(for: reference.repository)
            var bytes: [UInt8] = []
            for try await buffer in reader.stream(descriptor.digest, size: descriptor.size) {
                bytes += buffer.readableBytesView
            }
            return bytes
        case .layout(let layout, _):
            let url = layout.blobURL(for: descriptor.digest)
            guard layout.contains(descriptor) else {
                throw LayoutError.missing(descriptor, in: layout)
            }
            let bytes = [UInt8](try Data(contentsOf: url))
            guard descriptor.digest.matches(bytes) else {
                throw LayerError(.fileSystem, "\(url.path) does not hash to \(descriptor.digest); the layout is damaged", path: url.path)
            }
            return bytes
        case .scratch:
            throw LayerError(.invalidValue, "scratch has no blobs")
        }
    }

    /// A source of a blob's bytes for an upload, read as the upload goes.
    func uploadSource(_ descriptor: Descriptor) throws -> BlobUploadSource {
        switch backing {
        case .registry(let client, let reference):
            return .blob(descriptor.digest, from: try client.blobClient(for: reference.repository), size: descriptor.size)
        case .layout(let layout, _):
            guard layout.contains(descriptor) else { throw LayoutError.missing(descriptor, in: layout) }
            return try .file(layout.blobURL(for: descriptor.digest))
        case .scratch:
            throw LayerError(.invalidValue, "scratch has no blobs")
        }
    }

    // MARK: Writing

    /// Puts a blob from another store (a base layer): skipped when present, mounted within one registry,
    /// streamed otherwise.
    func copyBlob(_ descriptor: Descriptor, from source: ImageStore, writer: BlobClient?, counter: BlobTally) async throws {
        switch backing {
        case .registry(let client, let reference):
            guard let writer else { return }
            var mountFrom: Repository?
            if let from = source.repository, from.domain == reference.domain, from != reference.repository {
                mountFrom = from
            }
            _ = client
            let result = try await writer.upload(descriptor.digest, from: try source.uploadSource(descriptor), mountingFrom: mountFrom)
            await counter.record(result.outcome, size: result.size)
        case .layout(let layout, _):
            if layout.contains(descriptor) {
                await counter.skipped()
                return
            }
            let destination = layout.blobURL(for: descriptor.digest)
            try ImageStore.makeParent(of: destination)
            switch source.backing {
            case .registry(let client, let reference):
                let reader = try client.blobClient(for: reference.repository)
                try await reader.download(descriptor.digest, size: descriptor.size, to: destination)
            case .layout(let from, _):
                try ImageStore.placeFile(from.blobURL(for: descriptor.digest), at: destination)
            case .scratch:
                return
            }
            await counter.downloaded(descriptor.size)
        case .scratch:
            throw LayerError(.invalidValue, "scratch cannot be written to")
        }
    }

    /// Puts a local file (a new layer) as a blob.
    func putFile(_ file: URL, as descriptor: Descriptor, writer: BlobClient?, counter: BlobTally) async throws {
        switch backing {
        case .registry:
            guard let writer else { return }
            let result = try await writer.upload(descriptor.digest, from: try .file(file))
            await counter.record(result.outcome, size: result.size)
        case .layout(let layout, _):
            if layout.contains(descriptor) {
                await counter.skipped()
                return
            }
            let destination = layout.blobURL(for: descriptor.digest)
            try ImageStore.makeParent(of: destination)
            try ImageStore.placeFile(file, at: destination)
            await counter.downloaded(descriptor.size)
        case .scratch:
            throw LayerError(.invalidValue, "scratch cannot be written to")
        }
    }

    /// Puts a small blob (a configuration) from memory.
    func putBytes(_ bytes: [UInt8], as descriptor: Descriptor, writer: BlobClient?, counter: BlobTally) async throws {
        switch backing {
        case .registry:
            guard let writer else { return }
            let buffer = ByteBuffer(bytes: bytes)
            let source = BlobUploadSource(size: Int64(bytes.count)) { range in
                ByteBufferSequence(single: buffer.getSlice(at: Int(range.lowerBound), length: range.count) ?? ByteBuffer())
            }
            let result = try await writer.upload(descriptor.digest, from: source)
            await counter.record(result.outcome, size: result.size)
        case .layout(let layout, _):
            try layout.storeBlob(bytes, digest: descriptor.digest)
        case .scratch:
            throw LayerError(.invalidValue, "scratch cannot be written to")
        }
    }

    /// Puts the manifests: the children by digest, then the top-level document under the location's tag or name.
    func putManifests(top: ManifestDocument, children: [ManifestDocument]) async throws {
        switch backing {
        case .registry(let client, let reference):
            if top.kind == .index {
                for child in children {
                    _ = try await client.putManifest(child, as: reference.withDigest(child.digest))
                }
            }
            let target = reference.tag != nil || reference.digest == nil ? reference.withoutDigest().withDefaultTag() : reference.withDigest(top.digest)
            _ = try await client.putManifest(top, as: target)
        case .layout(let layout, let name):
            for child in children { try layout.storeBlob(child.bytes, digest: child.digest) }
            try layout.storeBlob(top.bytes, digest: top.digest)
            try layout.setEntry(top.descriptor, named: name)
        case .scratch:
            throw LayerError(.invalidValue, "scratch cannot be written to")
        }
    }

    /// A blob client for uploads when the store is a registry.
    func writer(mountingFrom source: ImageStore?, configuration: BlobClient.Configuration) throws -> BlobClient? {
        guard case .registry(let client, let reference) = backing else { return nil }
        var extra: [Scope] = []
        if let from = source?.repository, from.domain == reference.domain, from != reference.repository {
            extra = [.repository(from, actions: [.pull])]
        }
        return try client.blobClient(for: reference.repository, actions: [.pull, .push], extraScopes: extra, configuration: configuration)
    }

    static func makeParent(of url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw LayerError(.fileSystem, "cannot create \(url.deletingLastPathComponent().path): \(error.localizedDescription)", path: url.path)
        }
    }

    /// Places a copy of a file at `destination` atomically: a hard link when possible, else a copy renamed into place.
    static func placeFile(_ source: URL, at destination: URL) throws {
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).partial-\(UUID().uuidString)")
        if link(source.path, temporary.path) != 0 {
            do {
                try FileManager.default.copyItem(at: source, to: temporary)
            } catch {
                unlink(temporary.path)
                throw LayerError(.fileSystem, "cannot copy \(source.path): \(error.localizedDescription)", path: source.path)
            }
        }
        guard rename(temporary.path, destination.path) == 0 else {
            let number = errno
            unlink(temporary.path)
            throw LayerError.fileSystemError(number, "moving a blob into place at", path: destination.path)
        }
    }
}

extension LayoutError {
    static func missing(_ descriptor: Descriptor, in layout: OCILayout) -> LayoutError {
        LayoutError(
            .missingBlob, "blob \(descriptor.digest) is missing from the layout (or has the wrong size)",
            path: layout.blobURL(for: descriptor.digest))
    }
}

extension LayerError {
    static func fileSystemError(_ number: Int32, _ action: String, path: String) -> LayerError {
        LayerError(.fileSystem, "\(action) \(path) failed: \(String(cString: strerror(number)))", path: path)
    }
}

/// Adds up what the blob writes of one image operation did; shared by its concurrent tasks.
actor BlobTally {
    private(set) var totals = TransferTotals()

    func record(_ outcome: UploadResult.Outcome, size: Int64) {
        switch outcome {
        case .uploaded:
            totals.transferred += 1
            add(size)
        case .skipped:
            totals.skipped += 1
        case .mounted:
            totals.mounted += 1
        }
    }

    func downloaded(_ size: Int64) {
        totals.transferred += 1
        add(size)
    }

    /// Adds a descriptor's size (a number from the wire or a file) without trapping: negative counts as 0, and
    /// the total saturates at `Int64.max`.
    private func add(_ size: Int64) {
        let (sum, overflow) = totals.bytes.addingReportingOverflow(max(0, size))
        totals.bytes = overflow ? .max : sum
    }

    func skipped() { totals.skipped += 1 }
}
