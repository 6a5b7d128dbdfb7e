import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a registry keeps blob and manifest bytes (content-addressed) and the repositories' metadata.
protocol ContentStorage: Sendable {
    /// The size of a stored blob, or nil when it is not stored.
    func size(of digest: String) -> Int64?
    /// Streams `range` of a stored blob to `chunk`, in pieces of at most `chunkSize` bytes.
    func read(_ digest: String, range: Range<Int64>, chunk: (ByteBuffer) async throws -> Void) async throws
    /// Starts the data of a new upload.
    func makeUpload(id: String) throws -> any UploadData
    /// Makes an upload's bytes the blob `digest` (atomically: a reader sees all of it or nothing).
    func commit(_ upload: any UploadData, as digest: String) throws
    /// Drops an upload's bytes.
    func discard(_ upload: any UploadData)
    /// Stores small content (a manifest) under its digest.
    func store(_ bytes: ByteBuffer, as digest: String) throws
    /// Removes a blob's bytes.
    func remove(_ digest: String)
    /// Saves a repository's metadata (nil removes it).
    func save(repository name: String, _ state: RepositoryState?) throws
    /// Every saved repository.
    func loadRepositories() throws -> [String: RepositoryState]
}

/// The bytes of an upload in progress. Used by one request at a time (the registry's upload table enforces it).
protocol UploadData: AnyObject, Sendable {
    var size: Int64 { get }
    func append(_ buffer: ByteBuffer) async throws
    func truncate(to size: Int64) async throws
    func readAll(chunk: (ByteBuffer) async throws -> Void) async throws
}

/// Storage errors: the registry answers them with a 500 and a message.
struct StorageError: Error, CustomStringConvertible {
    var description: String
}

let readChunkSize = 256 * 1024

// MARK: - Memory

final class MemoryStorage: ContentStorage {
    private let blobs = NIOLockedValueBox<[String: [ByteBuffer]]>([:])

    func size(of digest: String) -> Int64? {
        blobs.withLockedValue { $0[digest] }.map { chunks in chunks.reduce(Int64(0)) { $0 + Int64($1.readableBytes) } }
    }

    func read(_ digest: String, range: Range<Int64>, chunk: (ByteBuffer) async throws -> Void) async throws {
        guard let chunks = blobs.withLockedValue({ $0[digest] }) else {
            throw StorageError(description: "blob \(digest) vanished while it was read")
        }
        var offset: Int64 = 0
        for buffer in chunks {
            let start = offset
            let end = offset + Int64(buffer.readableBytes)
            offset = end
            let from = max(start, range.lowerBound)
            let to = min(end, range.upperBound)
            guard from < to else { continue }
            var position = from
            while position < to {
                let length = Int(min(Int64(readChunkSize), to - position))
                if let slice = buffer.getSlice(at: buffer.readerIndex + Int(position - start), length: length) {
                    try await chunk(slice)
                }
                position += Int64(length)
            }
        }
    }

    func makeUpload(id: String) throws -> any UploadData { MemoryUpload() }

    func commit(_ upload: any UploadData, as digest: String) throws {
        guard let upload = upload as? MemoryUpload else { throw StorageError(description: "foreign upload") }
        let chunks = upload.take()
        blobs.withLockedValue { store in
            if store[digest] == nil { store[digest] = chunks }
        }
    }

    func discard(_ upload: any UploadData) {
        (upload as? MemoryUpload)?.clear()
    }

    func store(_ bytes: ByteBuffer, as digest: String) throws {
        blobs.withLockedValue { $0[digest] = [bytes] }
    }

    func remove(_ digest: String) {
        _ = blobs.withLockedValue { $0.removeValue(forKey: digest) }
    }

    func save(repository name: String, _ state: RepositoryState?) throws {}

    func loadRepositories() throws -> [String: RepositoryState] { [:] }
}

final class MemoryUpload: UploadData, @unchecked Sendable {
    private let lock = NIOLock()
    private var chunks: [ByteBuffer] = []
    private var total: Int64 = 0

    var size: Int64 { lock.withLock { total } }

    func append(_ buffer: ByteBuffer) async throws {
        lock.withLock {
            chunks.append(buffer)
            total += Int64(buffer.readableBytes)
        }
    }

    func truncate(to size: Int64) async throws {
        lock.withLock {
            var kept: [ByteBuffer] = []
            var offset: Int64 = 0
            for var buffer in chunks where offset < size {
                let keep = min(Int64(buffer.readableBytes), size - offset)
                buffer.moveWriterIndex(to: buffer.readerIndex + Int(keep))
                kept.append(buffer)
                offset += keep
            }
            chunks = kept
            total = offset
        }
    }

    func readAll(chunk: (ByteBuffer) async throws -> Void) async throws {
        for buffer in lock.withLock({ chunks }) { try await chunk(buffer) }
    }

    func take() -> [ByteBuffer] {
        lock.withLock {
            defer { chunks = []; total = 0 }
            return chunks
        }
    }

    func clear() { lock.withLock { chunks = []; total = 0 } }
}

// MARK: - Directory

/// Content-addressed files under `blobs/<algorithm>/<hex>`, uploads under `uploads/`, repository metadata under
/// `repositories/<name>/_state.json`. Every file appears by `rename` of a complete temporary file.
final class DirectoryStorage: ContentStorage {
    let root: URL
    private let pool = NIOThreadPool.singleton

    init(root: URL) throws {
        self.root = root.standardizedFileURL
        let manager = FileManager.default
        for sub in ["blobs/sha256", "blobs/sha512", "uploads", "repositories", "tmp"] {
            try manager.createDirectory(at: self.root.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        // Uploads do not survive a restart (their sessions lived in memory); leftovers are garbage.
        for name in ["uploads", "tmp"] {
            let dir = self.root.appendingPathComponent(name)
            for file in (try? manager.contentsOfDirectory(atPath: dir.path)) ?? [] {
                try? manager.removeItem(at: dir.appendingPathComponent(file))
            }
        }
    }

    func blobPath(_ digest: String) -> String {
        // The digest was validated (algorithm:hex) before it reaches storage.
        let parts = digest.split(separator: ":", maxSplits: 1)
        let algorithm = parts.first.map(String.init) ?? "sha256"
        let hex = parts.count == 2 ? String(parts[1]) : digest
        return root.appendingPathComponent("blobs").appendingPathComponent(algorithm).appendingPathComponent(hex).path
    }

    func size(of digest: String) -> Int64? {
        var info = stat()
        guard stat(blobPath(digest), &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    func read(_ digest: String, range: Range<Int64>, chunk: (ByteBuffer) async throws -> Void) async throws {
        let path = blobPath(digest)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError(description: "cannot open blob \(digest): errno \(errno)") }
        defer { close(fd) }
        var position = range.lowerBound
        while position < range.upperBound {
            let length = Int(min(Int64(readChunkSize), range.upperBound - position))
            let offset = position
            let buffer = try await pool.runIfActive { () throws -> ByteBuffer in
                var buffer = ByteBufferAllocator().buffer(capacity: length)
                let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
                    let n = pread(fd, raw.baseAddress, length, off_t(offset))
                    return n > 0 ? n : 0
                }
                guard count > 0 else { throw StorageError(description: "blob \(digest) is shorter than recorded") }
                return buffer
            }
            position += Int64(buffer.readableBytes)
            try await chunk(buffer)
        }
    }

    func makeUpload(id: String) throws -> any UploadData {
        try FileUpload(path: root.appendingPathComponent("uploads").appendingPathComponent(id).path, pool: pool)
    }

    func commit(_ upload: any UploadData, as digest: String) throws {
        guard let upload = upload as? FileUpload else { throw StorageError(description: "foreign upload") }
        let target = blobPath(digest)
        if size(of: digest) != nil {
            unlink(upload.path)
            return
        }
        guard rename(upload.path, target) == 0 else {
            throw StorageError(description: "cannot move upload into place: errno \(errno)")
        }
    }

    func discard(_ upload: any UploadData) {
        if let upload = upload as? FileUpload { unlink(upload.path) }
    }

    func store(_ bytes: ByteBuffer, as digest: String) throws {
        let target = blobPath(digest)
        if size(of: digest) != nil { return }
        try writeAtomically(bytes, to: target)
    }

    func remove(_ digest: String) {
        unlink(blobPath(digest))
    }

    private func repositoryFile(_ name: String) -> URL {
        root.appendingPathComponent("repositories").appendingPathComponent(name).appendingPathComponent("_state.json")
    }

    func save(repository name: String, _ state: RepositoryState?) throws {
        let file = repositoryFile(name)
        guard let state else {
            unlink(file.path)
            return
        }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(state)
        try writeAtomically(ByteBuffer(bytes: data), to: file.path)
    }

    func loadRepositories() throws -> [String: RepositoryState] {
        let base = root.appendingPathComponent("repositories")
        var result: [String: RepositoryState] = [:]
        guard let walker = FileManager.default.enumerator(atPath: base.path) else { return result }
        let decoder = JSONDecoder()
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix("/_state.json") else { continue }
            let name = String(relative.dropLast("/_state.json".count))
            guard RegistryNames.isValidRepository(name) else { continue }
            let data = try Data(contentsOf: base.appendingPathComponent(relative))
            result[name] = try decoder.decode(RepositoryState.self, from: data)
        }
        return result
    }

    private func writeAtomically(_ bytes: ByteBuffer, to target: String) throws {
        let temp = root.appendingPathComponent("tmp").appendingPathComponent(UUID().uuidString).path
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError(description: "cannot create \(temp): errno \(errno)") }
        var ok = true
        bytes.withUnsafeReadableBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n <= 0 { ok = false; break }
                done += n
            }
        }
        if ok { ok = fsync(fd) == 0 }
        close(fd)
        guard ok, rename(temp, target) == 0 else {
            unlink(temp)
            throw StorageError(description: "cannot write \(target): errno \(errno)")
        }
    }
}

final class FileUpload: UploadData, @unchecked Sendable {
    let path: String
    private let pool: NIOThreadPool
    private let lock = NIOLock()
    private var written: Int64 = 0

    init(path: String, pool: NIOThreadPool) throws {
        self.path = path
        self.pool = pool
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError(description: "cannot create upload file: errno \(errno)") }
        close(fd)
    }

    var size: Int64 { lock.withLock { written } }

    func append(_ buffer: ByteBuffer) async throws {
        let path = self.path
        let offset = size
        let count = buffer.readableBytes
        try await pool.runIfActive {
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw StorageError(description: "cannot open upload file: errno \(errno)") }
            defer { close(fd) }
            try buffer.withUnsafeReadableBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(offset + Int64(done)))
                    guard n > 0 else { throw StorageError(description: "cannot write upload file: errno \(errno)") }
                    done += n
                }
            }
        }
        lock.withLock { written += Int64(count) }
    }

    func truncate(to size: Int64) async throws {
        let path = self.path
        try await pool.runIfActive {
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw StorageError(description: "cannot open upload file: errno \(errno)") }
            defer { close(fd) }
            guard ftruncate(fd, off_t(size)) == 0 else {
                throw StorageError(description: "cannot truncate upload file: errno \(errno)")
            }
        }
        lock.withLock { written = size }
    }

    func readAll(chunk: (ByteBuffer) async throws -> Void) async throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError(description: "cannot open upload file: errno \(errno)") }
        defer { close(fd) }
        let total = size
        var position: Int64 = 0
        while position < total {
            let length = Int(min(Int64(readChunkSize), total - position))
            let offset = position
            let buffer = try await pool.runIfActive { () throws -> ByteBuffer in
                var buffer = ByteBufferAllocator().buffer(capacity: length)
                let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
                    max(0, pread(fd, raw.baseAddress, length, off_t(offset)))
                }
                guard n > 0 else { throw StorageError(description: "upload file is shorter than recorded") }
                return buffer
            }
            position += Int64(buffer.readableBytes)
            try await chunk(buffer)
        }
    }
}
