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

/// Where the bytes of an upload come from: anything that can stream a byte range of the blob on demand.
///
/// A source can be asked for the same or a later range again, which is how an interrupted upload resumes from
/// the offset the registry reports. Files (``file(_:readSize:)``) and other registries' blobs
/// (``blob(_:from:size:)``) are sources; so is any closure.
public struct BlobUploadSource: Sendable {
    /// The blob's size in bytes.
    public let size: Int64
    /// Whether a whole-blob sequence of this source checks the blob's digest and size itself, throwing at its end
    /// when they do not match (a registry's blob stream does); a consumer then need not hash the bytes again.
    public let verifiesDigest: Bool
    private let makeStream: @Sendable (Range<Int64>) throws -> ByteBufferSequence
    /// The whole blob for a writer into a file, when the source has a better form for that (a registry's blob
    /// as the connection's buffers, see ``BlobStream/Delivery/asReceived``).
    private var makeFileStream: (@Sendable () -> ByteBufferSequence)?

    /// Creates a source.
    ///
    /// - Parameters:
    ///   - size: The blob's size in bytes.
    ///   - verifiesDigest: Whether the sequence of the whole blob verifies its digest and size itself.
    ///   - makeStream: Makes a sequence of exactly the bytes of the given half-open range.
    public init(
        size: Int64, verifiesDigest: Bool = false,
        makeStream: @escaping @Sendable (Range<Int64>) throws -> ByteBufferSequence
    ) {
        self.size = size
        self.verifiesDigest = verifiesDigest
        self.makeStream = makeStream
    }

    /// A sequence of the bytes in `range`.
    ///
    /// - Parameter range: The half-open byte range.
    /// - Returns: The bytes.
    /// - Throws: The source's error.
    public func bytes(in range: Range<Int64>) throws -> ByteBufferSequence { try makeStream(range) }

    /// The whole blob, for a writer into a file.
    func fileBytes() throws -> ByteBufferSequence {
        if let makeFileStream { return makeFileStream() }
        return try makeStream(0..<size)
    }

    /// A local file, read in pieces of `readSize` bytes as the upload asks for them.
    ///
    /// - Parameters:
    ///   - fileURL: The file.
    ///   - readSize: Bytes per read; 256 KiB by default.
    /// - Returns: A source of the file's bytes.
    /// - Throws: ``BlobTransferError`` (``BlobTransferError/Code/fileSystem``) when the file cannot be read.
    public static func file(_ fileURL: URL, readSize: Int = 256 << 10) throws -> BlobUploadSource {
        var info = stat()
        guard stat(fileURL.path, &info) == 0 else {
            throw BlobTransferError.fileSystem(errno, "reading", fileURL, digest: nil)
        }
        return BlobUploadSource(size: Int64(info.st_size)) { range in
            ByteBufferSequence(FileByteSequence(url: fileURL, range: range, readSize: readSize))
        }
    }

    /// A blob of another repository, streamed without touching disk.
    ///
    /// The whole blob is verified against its digest as it flows; a part (for a resumed upload) is fetched with
    /// a `Range` request, and the destination registry checks the digest of the whole.
    ///
    /// - Parameters:
    ///   - digest: The blob's digest.
    ///   - client: The client of the repository that has it.
    ///   - size: The blob's size.
    /// - Returns: A source of the blob's bytes.
    public static func blob(_ digest: ContentDigest, from client: BlobClient, size: Int64) -> BlobUploadSource {
        var source = BlobUploadSource(size: size, verifiesDigest: true) { range in
            if range == 0..<size {
                return ByteBufferSequence(client.stream(digest, size: size))
            }
            return ByteBufferSequence(client.stream(digest, range: range))
        }
        source.makeFileStream = { ByteBufferSequence(client.fileStream(digest, size: size, progress: nil)) }
        return source
    }
}

/// Reads a byte range of a file as byte buffers, one `pread` per element, opening the file on first use.
struct FileByteSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let url: URL
    let range: Range<Int64>
    let readSize: Int

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(url: url, range: range, readSize: Swift.max(readSize, 4096))
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        private let url: URL
        private var offset: Int64
        private let end: Int64
        private let readSize: Int
        private var file: InputFile?
        private let allocator = ByteBufferAllocator()
        private var pace = ReadPacer(limit: 4)

        init(url: URL, range: Range<Int64>, readSize: Int) {
            self.url = url
            self.offset = range.lowerBound
            self.end = range.upperBound
            self.readSize = readSize
        }

        mutating func next() async throws -> ByteBuffer? {
            guard offset < end else {
                file = nil
                return nil
            }
            try await pace.waitForRoom()
            let input: InputFile
            if let file {
                input = file
            } else {
                input = try InputFile(url: url)
                file = input
            }
            let wanted = Int(Swift.min(Int64(readSize), end - offset))
            var buffer = allocator.buffer(capacity: wanted)
            let position = offset
            var failure: Int32 = 0
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { target in
                while true {
                    let result = pread(input.descriptor, target.baseAddress, wanted, off_t(position))
                    if result < 0 && errno == EINTR { continue }
                    if result < 0 { failure = errno; return 0 }
                    return result
                }
            }
            if failure != 0 { throw BlobTransferError.fileSystem(failure, "reading", url, digest: nil) }
            guard count > 0 else {
                throw BlobTransferError(
                    .fileSystem,
                    message: "\(url.path) ended at \(offset) bytes, before the \(end) expected; it changed during the upload")
            }
            offset += Int64(count)
            pace.track(buffer)
            return buffer
        }
    }
}

/// Keeps the source of an upload from running far ahead of the network.
///
/// An HTTP client may accept body buffers faster than its event loop writes them (AsyncHTTPClient queues writes
/// until it learns the channel is no longer writable), and reading from the page cache is much faster than any
/// socket. The pacer watches the storage of the last buffers it handed out through weak references: storage is
/// released once the transport has written it. Before reading more it waits, briefly, until fewer than
/// `limit` buffers are still alive. The pacer only tracks buffers its reader allocated itself, whose storage
/// nobody else shares. A wait is bounded, and the first one that times out turns pacing off for the stream, so a
/// transport that keeps buffers (to replay them) is never slowed down for long.
struct ReadPacer {
    private final class WeakStorage {
        weak var object: AnyObject?
        init(_ object: AnyObject) { self.object = object }
    }

    private let limit: Int
    private var alive: [WeakStorage] = []
    /// Set once a wait times out: this transport keeps buffers, so pacing cannot help it.
    private(set) var disabled = false
    /// How many tracked buffers the pacer still watches (alive or not yet swept).
    var trackedCount: Int { alive.count }

    init(limit: Int) { self.limit = limit }

    mutating func track(_ buffer: ByteBuffer) {
        guard !disabled else { return }
        let storage = buffer.withUnsafeReadableBytesWithStorageManagement { _, storage in storage.takeUnretainedValue() }
        alive.append(WeakStorage(storage))
    }

    mutating func waitForRoom() async throws {
        guard !disabled else { return }
        let deadline = ContinuousClock.now + .milliseconds(200)
        while true {
            alive.removeAll { $0.object == nil }
            guard alive.count >= limit else { return }
            guard ContinuousClock.now < deadline else {
                disabled = true
                alive = []
                return
            }
            try await Task.sleep(for: .microseconds(250))
        }
    }
}

/// An open file descriptor for reading, closed when released.
final class InputFile: Sendable {
    let descriptor: Int32

    init(url: URL) throws {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw BlobTransferError.fileSystem(errno, "opening", url, digest: nil) }
        self.descriptor = descriptor
    }

    deinit { _ = closeDescriptor(descriptor) }
}

/// Wraps an upload body so that every buffer passing through is counted for progress.
struct CountingSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let base: ByteBufferSequence
    let counter: @Sendable (Int) -> Void

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), counter: counter) }

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: ByteBufferSequence.AsyncIterator
        let counter: @Sendable (Int) -> Void

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await base.next() else { return nil }
            counter(buffer.readableBytes)
            return buffer
        }
    }
}
