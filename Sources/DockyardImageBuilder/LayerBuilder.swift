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

/// How a layer's tar is written and compressed.
public struct LayerOptions: Sendable, Hashable {
    /// How the tar is compressed.
    public enum Compression: Sendable, Hashable {
        /// gzip through zlib at a level from 0 (store) to 9 (smallest); 6 is gzip's default.
        case gzip(level: Int)
        /// No compression: the layer is the tar itself.
        case none
    }

    /// The modification time of every entry, in seconds since 1970. By default `SOURCE_DATE_EPOCH` when the
    /// environment sets it to a whole number, else 0.
    public var modificationTime: Int64
    /// The owner's user ID of every entry; 0 (root) by default.
    public var userID: Int
    /// The owner's group ID of every entry; 0 by default.
    public var groupID: Int
    /// How the tar is compressed; gzip level 6 by default.
    public var compression: Compression

    /// Creates options.
    ///
    /// - Parameters:
    ///   - modificationTime: Every entry's modification time; ``defaultModificationTime`` by default.
    ///   - userID: Every entry's user ID.
    ///   - groupID: Every entry's group ID.
    ///   - compression: The compression.
    public init(
        modificationTime: Int64 = LayerOptions.defaultModificationTime,
        userID: Int = 0,
        groupID: Int = 0,
        compression: Compression = .gzip(level: 6)
    ) {
        self.modificationTime = modificationTime
        self.userID = userID
        self.groupID = groupID
        self.compression = compression
    }

    /// `SOURCE_DATE_EPOCH` (reproducible-builds.org) when set to a non-negative whole number, else 0.
    public static var defaultModificationTime: Int64 {
        guard let text = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], let value = Int64(text), value >= 0 else {
            return 0
        }
        return value
    }

    /// The OCI media type of layers written with these options (`…tar+gzip` or `…tar`).
    public var mediaType: MediaType {
        switch compression {
        case .gzip: .ociLayerGzip
        case .none: .ociLayer
        }
    }

    func validate() throws {
        if case .gzip(let level) = compression, !(0...9).contains(level) {
            throw LayerError(.invalidValue, "the gzip level must be from 0 to 9, not \(level)")
        }
        guard userID >= 0, groupID >= 0 else {
            throw LayerError(.invalidValue, "user and group IDs must not be negative")
        }
        guard modificationTime >= 0 else {
            throw LayerError(.invalidValue, "the modification time must not be before 1970")
        }
    }
}

/// What goes into a layer: a directory's tree or a single file, each at a path in the image.
///
/// ```swift
/// let contents: [LayerContent] = [
///     .directory(URL(fileURLWithPath: "public"), at: "/srv/www"),
///     .file(URL(fileURLWithPath: ".build/release/app"), at: "/usr/local/bin/app"),
/// ]
/// ```
public struct LayerContent: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case tree(URL)
        case file(URL, mode: UInt32?)
        case symlink(target: String)
        case directory(mode: UInt32)
    }

    let kind: Kind
    let path: String

    /// A directory's contents, recursively, placed under `path` in the image (the directory itself becomes
    /// `path`). Symbolic links are kept as links, hard links within the tree as hard links.
    ///
    /// - Parameters:
    ///   - url: The directory on disk.
    ///   - path: Where it goes in the image; `/` by default.
    /// - Returns: The content.
    public static func directory(_ url: URL, at path: String = "/") -> LayerContent {
        LayerContent(kind: .tree(url), path: path)
    }

    /// One file (or symbolic link) placed at `path` in the image.
    ///
    /// - Parameters:
    ///   - url: The file on disk.
    ///   - path: Its path in the image, such as `/usr/local/bin/app`.
    ///   - mode: The permission bits to give it; the file's own by default.
    /// - Returns: The content.
    public static func file(_ url: URL, at path: String, mode: UInt32? = nil) -> LayerContent {
        LayerContent(kind: .file(url, mode: mode), path: path)
    }

    /// A symbolic link at `path` pointing at `target`.
    ///
    /// - Parameters:
    ///   - path: The link's path in the image.
    ///   - target: What it points at, as written.
    /// - Returns: The content.
    public static func symlink(at path: String, target: String) -> LayerContent {
        LayerContent(kind: .symlink(target: target), path: path)
    }

    /// An empty directory at `path`.
    ///
    /// - Parameters:
    ///   - path: The directory's path in the image.
    ///   - mode: Its permission bits; `0o755` by default.
    /// - Returns: The content.
    public static func emptyDirectory(at path: String, mode: UInt32 = 0o755) -> LayerContent {
        LayerContent(kind: .directory(mode: mode), path: path)
    }
}

/// A built layer: the compressed file and what a manifest and a configuration say about it.
public struct Layer: Sendable, Hashable {
    /// The layer's descriptor: media type, the digest and size of the compressed bytes.
    public var descriptor: Descriptor
    /// The digest of the uncompressed tar, which the configuration's `rootfs.diff_ids` lists.
    public var diffID: ContentDigest
    /// The size of the uncompressed tar.
    public var uncompressedSize: Int64
    /// Where the compressed layer is.
    public var file: URL

    /// Creates a layer description.
    ///
    /// - Parameters:
    ///   - descriptor: The compressed blob's descriptor.
    ///   - diffID: The uncompressed tar's digest.
    ///   - uncompressedSize: The uncompressed tar's size.
    ///   - file: The compressed blob on disk.
    public init(descriptor: Descriptor, diffID: ContentDigest, uncompressedSize: Int64, file: URL) {
        self.descriptor = descriptor
        self.diffID = diffID
        self.uncompressedSize = uncompressedSize
        self.file = file
    }
}

/// Builds image layers from files: a reproducible tar, compressed as it is written, hashed in the same pass.
///
/// The tar is the same for the same files on every machine: entries sorted by path, parent directories
/// implied (mode `0755`), every modification time set to ``LayerOptions/modificationTime``, owners set to
/// ``LayerOptions/userID`` and ``LayerOptions/groupID`` without names, permission bits, symbolic links and hard
/// links kept; USTAR headers, with PAX records for long or non-ASCII names and large sizes. The gzip stream has
/// a fixed header.
///
/// Reading files, hashing the tar (the diff ID) and compressing run on two threads joined by a bounded queue
/// of 1 MiB chunks, so memory stays flat whatever the layer's size; the compressed bytes go to a temporary file
/// beside the destination, renamed into place when complete.
///
/// ```swift
/// let layer = try LayerBuilder.build(
///     [.directory(URL(fileURLWithPath: "site"), at: "/srv/www")],
///     to: URL(fileURLWithPath: "/tmp/site.tar.gz"))
/// print(layer.descriptor.digest, layer.diffID)
/// ```
public enum LayerBuilder {
    /// Builds a layer from directories and files.
    ///
    /// - Parameters:
    ///   - contents: What goes in; a later content replaces an earlier one at the same path.
    ///   - fileURL: Where the compressed layer goes; its directory must exist. Replaced atomically.
    ///   - options: Time, owners and compression.
    /// - Returns: The layer.
    /// - Throws: ``LayerError`` for an invalid path, an unreadable or unsupported file, or a write failure.
    public static func build(_ contents: [LayerContent], to fileURL: URL, options: LayerOptions = LayerOptions()) throws -> Layer {
        try options.validate()
        let entries = try FileTree.collect(contents, options: options)
        return try write(to: fileURL, options: options) { sink in
            var tar = TarWriter(into: sink)
            for entry in entries {
                try FileTree.emit(entry, options: options, into: &tar)
            }
            try tar.finish()
            // The pipeline reads the hashes and the last chunk from the caller's sink.
            sink = tar.sink
        }
    }

    /// Builds a layer from an existing tar stream, compressing it as it is read (the tar is taken as it is).
    ///
    /// - Parameters:
    ///   - handle: Where the tar comes from, read to its end (a file or standard input).
    ///   - fileURL: Where the compressed layer goes.
    ///   - options: The compression (the other options do not apply to an existing tar).
    /// - Returns: The layer.
    /// - Throws: ``LayerError`` when reading or writing fails.
    public static func build(tarFrom handle: FileHandle, to fileURL: URL, options: LayerOptions = LayerOptions()) throws -> Layer {
        try options.validate()
        let descriptor = handle.fileDescriptor
        return try write(to: fileURL, options: options) { sink in
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw LayerError.system(errno, "reading the tar stream from", path: "file descriptor \(descriptor)")
                }
                if count == 0 { break }
                try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            }
        }
    }

    /// Builds a layer from a tar that is part of a file (a layer inside a `docker save` tarball), compressing it as
    /// it is read: the bytes in `range` are taken as they are.
    ///
    /// - Parameters:
    ///   - sourceURL: The file holding the tar.
    ///   - range: The tar's bytes in the file.
    ///   - fileURL: Where the compressed layer goes.
    ///   - options: The compression (the other options do not apply to an existing tar).
    /// - Returns: The layer, with the diff ID of the bytes read.
    /// - Throws: ``LayerError`` when reading or writing fails, or the file ends before `range` does.
    public static func build(
        tarFrom sourceURL: URL, range: Range<Int64>, to fileURL: URL, options: LayerOptions = LayerOptions()
    ) throws -> Layer {
        try options.validate()
        let input = open(sourceURL.path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw LayerError.system(errno, "opening", path: sourceURL.path) }
        defer { close(input) }
        return try write(to: fileURL, options: options) { sink in
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var offset = range.lowerBound
            while offset < range.upperBound {
                let wanted = Int(min(Int64(buffer.count), range.upperBound - offset))
                let count = buffer.withUnsafeMutableBytes { pread(input, $0.baseAddress, wanted, off_t(offset)) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw LayerError.system(errno, "reading", path: sourceURL.path)
                }
                guard count > 0 else {
                    throw LayerError(.fileSystem, "\(sourceURL.path) ended at \(offset) bytes, before the \(range.upperBound) expected", path: sourceURL.path)
                }
                try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                offset += Int64(count)
            }
        }
    }

    /// Runs `produce` into a pipeline: the calling thread fills chunks (hashing the diff ID), a second thread
    /// compresses them into a temporary file, which is renamed to `fileURL` at the end.
    static func write(
        to fileURL: URL,
        options: LayerOptions,
        _ produce: (inout ChunkSink) throws -> Void
    ) throws -> Layer {
        let directory = fileURL.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(fileURL.lastPathComponent).partial-\(UUID().uuidString)")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw LayerError.system(errno, "creating", path: temporary.path) }
        var succeeded = false
        defer {
            close(descriptor)
            if !succeeded { unlink(temporary.path) }
        }
        let level: Int?
        switch options.compression {
        case .gzip(let value): level = value
        case .none: level = nil
        }
        let writer = try CompressedFileWriter(descriptor: descriptor, path: temporary.path, level: level)
        let pipe = ChunkPipe(capacity: 4)
        let done = DispatchSemaphore(value: 0)
        let consumer = Thread {
            defer { done.signal() }
            while let chunk = pipe.take() {
                do {
                    try chunk.withUnsafeBytes { try writer.write($0) }
                } catch {
                    pipe.fail(error)
                    return
                }
            }
        }
        consumer.stackSize = 1 << 20
        consumer.start()
        var sink = ChunkSink(pipe: pipe)
        do {
            try produce(&sink)
            try sink.flush()
            pipe.close()
        } catch {
            pipe.fail(error)
            done.wait()
            throw pipe.failure ?? error
        }
        done.wait()
        if let failure = pipe.failure { throw failure }
        try writer.finish(crc: sink.crc, uncompressedSize: sink.hasher.byteCount)
        guard rename(temporary.path, fileURL.path) == 0 else {
            throw LayerError.system(errno, "moving the layer into place at", path: fileURL.path)
        }
        succeeded = true
        let compressed = writer.hasher
        return Layer(
            descriptor: Descriptor(mediaType: options.mediaType, digest: compressed.finalize(), size: compressed.byteCount),
            diffID: sink.hasher.finalize(),
            uncompressedSize: sink.hasher.byteCount,
            file: fileURL)
    }
}

/// The producer's end of the pipeline: gathers tar bytes into 1 MiB chunks, hashes each (diff ID and CRC-32),
/// and hands it to the compressing thread.
struct ChunkSink: ByteSink {
    static let chunkSize = 1 << 20
    let pipe: ChunkPipe
    var chunk: [UInt8] = []
    var hasher = DigestHasher()
    var crc: UInt32 = 0

    init(pipe: ChunkPipe) {
        self.pipe = pipe
        chunk.reserveCapacity(ChunkSink.chunkSize)
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        var remaining = bytes
        while !remaining.isEmpty {
            let room = ChunkSink.chunkSize - chunk.count
            let take = min(room, remaining.count)
            chunk.append(contentsOf: UnsafeRawBufferPointer(rebasing: remaining[remaining.startIndex..<(remaining.startIndex + take)]))
            remaining = UnsafeRawBufferPointer(rebasing: remaining[(remaining.startIndex + take)...])
            if chunk.count == ChunkSink.chunkSize { try flush() }
        }
    }

    mutating func flush() throws {
        guard !chunk.isEmpty else { return }
        chunk.withUnsafeBytes { buffer in
            hasher.update(bytes: buffer)
            crc = crc32Update(crc, buffer)
        }
        try pipe.put(chunk)
        chunk = []
        chunk.reserveCapacity(ChunkSink.chunkSize)
    }
}

/// A bounded queue of chunks between two threads; either side can fail it.
final class ChunkPipe: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [[UInt8]] = []
    private var closed = false
    private var error: (any Error)?
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    var failure: (any Error)? {
        condition.lock()
        defer { condition.unlock() }
        return error
    }

    func put(_ chunk: [UInt8]) throws {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= capacity && error == nil { condition.wait() }
        if let error { throw error }
        chunks.append(chunk)
        condition.broadcast()
    }

    func take() -> [UInt8]? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !closed && error == nil { condition.wait() }
        if error != nil || chunks.isEmpty { return nil }
        let chunk = chunks.removeFirst()
        condition.broadcast()
        return chunk
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    func fail(_ failure: any Error) {
        condition.lock()
        if error == nil { error = failure }
        condition.broadcast()
        condition.unlock()
    }
}
