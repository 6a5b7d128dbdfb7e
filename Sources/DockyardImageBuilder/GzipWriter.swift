import CDockyardZlib
import DockyardReferences
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes bytes to a file descriptor, compressed with zlib's raw deflate inside a fixed gzip frame (RFC 1952),
/// hashing the bytes written: the compressed digest and size of a layer.
///
/// The gzip header is always the same ten bytes (no name, modification time 0, OS "unknown"), so the output
/// depends only on the input, the level and zlib, never on the machine or the clock.
final class CompressedFileWriter: @unchecked Sendable {
    private let descriptor: Int32
    private let path: String
    private let stream: UnsafeMutablePointer<z_stream>?
    private var output: [UInt8]
    private(set) var hasher = DigestHasher()

    /// Opens the writer; `level` nil writes the bytes as they are (an uncompressed layer).
    init(descriptor: Int32, path: String, level: Int?) throws {
        self.descriptor = descriptor
        self.path = path
        self.output = [UInt8](repeating: 0, count: 256 << 10)
        if let level {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard dockyard_deflateInit2(stream, Int32(level)) == Z_OK else {
                stream.deinitialize(count: 1)
                stream.deallocate()
                throw LayerError(.compression, "zlib could not start a deflate stream at level \(level)", path: path)
            }
            self.stream = stream
            // ID1 ID2 CM=deflate FLG=0, MTIME=0, XFL=0, OS=255 (unknown).
            let header: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]
            try header.withUnsafeBytes { try emit($0) }
        } else {
            self.stream = nil
        }
    }

    deinit {
        if let stream {
            deflateEnd(stream)
            stream.deinitialize(count: 1)
            stream.deallocate()
        }
    }

    /// Compresses (or copies) the next uncompressed bytes.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let stream else {
            try emit(bytes)
            return
        }
        guard let base = bytes.bindMemory(to: Bytef.self).baseAddress, !bytes.isEmpty else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base)
        stream.pointee.avail_in = uInt(bytes.count)
        while stream.pointee.avail_in > 0 {
            try deflateStep(flush: Z_NO_FLUSH)
        }
    }

    /// Ends the deflate stream and writes the gzip trailer: the CRC-32 and the size modulo 2^32 of the input.
    func finish(crc: UInt32, uncompressedSize: Int64) throws {
        guard let stream else { return }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        var status = Z_OK
        repeat {
            status = try deflateStep(flush: Z_FINISH)
        } while status != Z_STREAM_END
        let size = UInt32(truncatingIfNeeded: uncompressedSize)
        var trailer = [UInt8](repeating: 0, count: 8)
        for index in 0..<4 {
            trailer[index] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(index)))
            trailer[4 + index] = UInt8(truncatingIfNeeded: size >> (8 * UInt32(index)))
        }
        try trailer.withUnsafeBytes { try emit($0) }
    }

    @discardableResult
    private func deflateStep(flush: Int32) throws -> Int32 {
        guard let stream else { return Z_STREAM_END }
        let capacity = output.count
        let (status, produced) = output.withUnsafeMutableBytes { buffer -> (Int32, Int) in
            stream.pointee.next_out = buffer.bindMemory(to: Bytef.self).baseAddress
            stream.pointee.avail_out = uInt(capacity)
            let status = deflate(stream, flush)
            return (status, capacity - Int(stream.pointee.avail_out))
        }
        guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
            throw LayerError(.compression, "zlib deflate failed with status \(status)", path: path)
        }
        if produced > 0 {
            try output.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
        }
        return status
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes: bytes)
        var offset = 0
        while offset < bytes.count {
            guard let base = bytes.baseAddress else { return }
            let count = Glibc_write(descriptor, base + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw LayerError.system(errno, "writing the layer to", path: path)
            }
            offset += count
        }
    }
}

/// zlib's CRC-32 of some bytes, continuing `crc`.
func crc32Update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    guard let base = bytes.bindMemory(to: Bytef.self).baseAddress, !bytes.isEmpty else { return crc }
    var value = UInt(crc)
    var offset = 0
    while offset < bytes.count {
        let count = min(bytes.count - offset, Int(UInt32.max >> 1))
        value = crc32(value, base + offset, uInt(count))
        offset += count
    }
    return UInt32(truncatingIfNeeded: value)
}

@inline(__always)
func Glibc_write(_ descriptor: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Darwin)
    return Darwin.write(descriptor, pointer, count)
    #elseif canImport(Musl)
    return Musl.write(descriptor, pointer, count)
    #else
    return Glibc.write(descriptor, pointer, count)
    #endif
}
