import CDockyardZlib
import Foundation

/// Decompresses a gzip stream piece by piece, with flat memory: compressed bytes go in as they arrive, and
/// uncompressed bytes come out through a closure, 256 KiB at a time.
///
/// Concatenated gzip members (RFC 1952 §2.2) are read one after the other, as `gzip -d` and Go's `gzip.Reader`
/// do. After the last input, ``isFinished`` tells whether the stream ended at a member's end; a stream cut short
/// leaves it `false`.
///
/// ```swift
/// let decompressor = try GzipDecompressor()
/// try compressed.withUnsafeBytes { input in
///     try decompressor.decompress(input) { output in handle(output) }
/// }
/// guard decompressor.isFinished else { throw truncated }
/// ```
public final class GzipDecompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8]
    /// Whether the input so far ends exactly at the end of a gzip member.
    public private(set) var isFinished = false
    /// Uncompressed bytes produced so far.
    public private(set) var producedCount: Int64 = 0

    /// Starts a decompressor.
    ///
    /// - Throws: ``LayerError`` (``LayerError/Code/compression``) when zlib cannot start.
    public init() throws {
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = [UInt8](repeating: 0, count: 256 << 10)
        guard dockyard_inflateInit2_gzip(stream) == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw LayerError(.compression, "zlib could not start an inflate stream")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Decompresses the next compressed bytes, handing every uncompressed piece to `body` before returning.
    ///
    /// - Parameters:
    ///   - input: The next compressed bytes (any length, empty included).
    ///   - body: Receives uncompressed bytes; valid only during the call.
    /// - Throws: ``LayerError`` (``LayerError/Code/compression``) when the bytes are not gzip or are corrupt, and
    ///   whatever `body` throws.
    public func decompress(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.bindMemory(to: Bytef.self).baseAddress, !input.isEmpty else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base)
        stream.pointee.avail_in = uInt(input.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        while stream.pointee.avail_in > 0 {
            if isFinished {
                // Another member follows the one that ended.
                guard inflateReset(stream) == Z_OK else { throw LayerError(.compression, "zlib could not restart for the next gzip member") }
                isFinished = false
            }
            let capacity = output.count
            let (status, produced) = output.withUnsafeMutableBytes { buffer -> (Int32, Int) in
                stream.pointee.next_out = buffer.bindMemory(to: Bytef.self).baseAddress
                stream.pointee.avail_out = uInt(capacity)
                let status = inflate(stream, Z_NO_FLUSH)
                return (status, capacity - Int(stream.pointee.avail_out))
            }
            guard status == Z_OK || status == Z_STREAM_END || (status == Z_BUF_ERROR && produced > 0) else {
                throw LayerError(.compression, "the gzip data is corrupt (zlib status \(status))")
            }
            if produced > 0 {
                producedCount += Int64(produced)
                try output.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
            }
            if status == Z_STREAM_END { isFinished = true }
        }
        // Input is used up, but zlib may still hold output for it.
        while !isFinished {
            let capacity = output.count
            let (status, produced) = output.withUnsafeMutableBytes { buffer -> (Int32, Int) in
                stream.pointee.next_out = buffer.bindMemory(to: Bytef.self).baseAddress
                stream.pointee.avail_out = uInt(capacity)
                let status = inflate(stream, Z_NO_FLUSH)
                return (status, capacity - Int(stream.pointee.avail_out))
            }
            if produced > 0 {
                producedCount += Int64(produced)
                try output.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
            }
            if status == Z_STREAM_END { isFinished = true }
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw LayerError(.compression, "the gzip data is corrupt (zlib status \(status))")
            }
            if produced == 0 || status == Z_BUF_ERROR { break }
        }
    }
}
