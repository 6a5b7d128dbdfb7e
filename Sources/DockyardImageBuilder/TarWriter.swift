import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the bytes of a tar stream go, in order: a layer's hashing and compressing pipeline, or an archive's
/// staged file.
package protocol ByteSink {
    /// Takes the next bytes; the buffer is only valid during the call.
    ///
    /// - Parameter bytes: The bytes, in order.
    /// - Throws: Whatever the sink fails with; the tar stream is then incomplete.
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// One tar entry's header fields, before encoding.
package struct TarHeader: Hashable, Sendable {
    /// The kinds of entries the SDK writes.
    package enum Kind: UInt8, Sendable {
        /// A regular file (typeflag `0`).
        case file = 0x30  // '0'
        /// A hard link to an earlier entry (typeflag `1`).
        case hardLink = 0x31  // '1'
        /// A symbolic link (typeflag `2`).
        case symlink = 0x32  // '2'
        /// A directory (typeflag `5`).
        case directory = 0x35  // '5'
        /// A PAX extended header for the next entry (typeflag `x`).
        case paxExtended = 0x78  // 'x'
    }

    /// The entry's path in the archive; a directory's ends with `/`.
    package var name: String
    /// What the entry is.
    package var kind: Kind
    /// The permission bits (the low twelve are written).
    package var mode: UInt32
    /// The owner's user ID.
    package var userID: Int
    /// The owner's group ID.
    package var groupID: Int
    /// The number of content bytes that follow the header (0 for anything but a regular file).
    package var size: Int64
    /// Seconds since 1970.
    package var modificationTime: Int64
    /// A link's target; empty for other entries.
    package var linkName: String

    /// Creates a header; owner root, time 0 and no content unless given.
    ///
    /// - Parameters:
    ///   - name: The path in the archive.
    ///   - kind: What the entry is.
    ///   - mode: The permission bits.
    ///   - userID: The owner's user ID.
    ///   - groupID: The owner's group ID.
    ///   - size: The content's size.
    ///   - modificationTime: Seconds since 1970.
    ///   - linkName: A link's target.
    package init(
        name: String, kind: Kind, mode: UInt32, userID: Int = 0, groupID: Int = 0, size: Int64 = 0,
        modificationTime: Int64 = 0, linkName: String = ""
    ) {
        self.name = name
        self.kind = kind
        self.mode = mode
        self.userID = userID
        self.groupID = groupID
        self.size = size
        self.modificationTime = modificationTime
        self.linkName = linkName
    }
}

/// The SDK's one tar writer, for image layers (``LayerBuilder``) and `docker save` tarballs alike: reproducible
/// headers (``TarEncoding``), content streamed from files in 1 MiB pieces (never a whole file in memory), the two
/// zero blocks that end an archive.
package struct TarWriter<Sink: ByteSink> {
    /// Where the archive's bytes go.
    package var sink: Sink
    /// The buffer files are copied through, allocated for the first file.
    private var scratch: [UInt8] = []

    /// The size of the pieces a file is copied in.
    package static var pieceSize: Int { 1 << 20 }

    /// Starts an archive.
    ///
    /// - Parameter sink: Where its bytes go.
    package init(into sink: Sink) {
        self.sink = sink
    }

    /// Writes an entry with no content: a directory, a link, or an empty file.
    ///
    /// - Parameter header: The entry; its ``TarHeader/size`` must be 0.
    /// - Throws: ``LayerError`` (``LayerError/Code/invalidValue``) for a size other than 0; the sink's error.
    package mutating func append(_ header: TarHeader) throws {
        guard header.size == 0 else {
            throw LayerError(.invalidValue, "the tar entry \(header.name) has no content but a size of \(header.size)")
        }
        try writeHeader(header)
    }

    /// Writes a regular file whose (small) content is in memory, such as a JSON document.
    ///
    /// - Parameters:
    ///   - header: The entry; its size is set to the bytes' count.
    ///   - bytes: The content.
    /// - Throws: The sink's error.
    package mutating func append(_ header: TarHeader, bytes: [UInt8]) throws {
        var header = header
        header.size = Int64(bytes.count)
        try writeHeader(header)
        try bytes.withUnsafeBytes { try sink.write($0) }
        try writePadding(for: header.size)
    }

    /// Writes a regular file whose content is the first ``TarHeader/size`` bytes of the file at `path`, read in
    /// pieces.
    ///
    /// - Parameters:
    ///   - header: The entry, its size the number of bytes to copy.
    ///   - path: The file to copy from.
    /// - Throws: ``LayerError``: ``LayerError/Code/fileSystem`` when the file cannot be opened or read,
    ///   ``LayerError/Code/unsupportedFile`` when it ends before `size` bytes (it shrank); the sink's error.
    package mutating func append(_ header: TarHeader, contentsOf path: String) throws {
        try writeHeader(header)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw LayerError.system(errno, "opening", path: path) }
        defer { close(descriptor) }
        if scratch.isEmpty { scratch = [UInt8](repeating: 0, count: Self.pieceSize) }
        var remaining = header.size
        while remaining > 0 {
            let wanted = Int(min(Int64(scratch.count), remaining))
            let count = scratch.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, wanted) }
            if count < 0 {
                if errno == EINTR { continue }
                throw LayerError.system(errno, "reading", path: path)
            }
            if count == 0 {
                throw LayerError(
                    .unsupportedFile,
                    "\(path) shrank while it was being read (it ended at \(header.size - remaining) bytes, before the \(header.size) expected); try again when it is stable",
                    path: path)
            }
            try scratch.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            remaining -= Int64(count)
        }
        try writePadding(for: header.size)
    }

    /// Writes the two zero blocks that end an archive.
    ///
    /// - Throws: The sink's error.
    package mutating func finish() throws {
        let end = [UInt8](repeating: 0, count: 2 * TarEncoding.blockSize)
        try end.withUnsafeBytes { try sink.write($0) }
    }

    private mutating func writeHeader(_ header: TarHeader) throws {
        guard header.size >= 0 else {
            throw LayerError(.invalidValue, "the tar entry \(header.name) has a negative size, \(header.size)")
        }
        let bytes = TarEncoding.headerBytes(header)
        try bytes.withUnsafeBytes { try sink.write($0) }
    }

    private mutating func writePadding(for size: Int64) throws {
        let padding = TarEncoding.padding(for: size)
        guard padding > 0 else { return }
        let zeros = [UInt8](repeating: 0, count: padding)
        try zeros.withUnsafeBytes { try sink.write($0) }
    }
}

/// Encodes tar headers the reproducible way: USTAR when every field fits, with a PAX extended header
/// (POSIX.1-2001 `pax` format, typeflag `x`) in front when a name is longer than its field or not ASCII, or a
/// number is too large for its octal field. No user or group names, no device numbers, no access times.
package enum TarEncoding {
    /// The size of a tar block: a header, and the unit content is padded to.
    package static let blockSize = 512

    /// The header block(s) of an entry: an optional PAX header with its records, then the USTAR block.
    ///
    /// - Parameter header: The entry.
    /// - Returns: 512 bytes, or more with a PAX header in front.
    package static func headerBytes(_ header: TarHeader) -> [UInt8] {
        var records: [(String, String)] = []
        let nameBytes = Array(header.name.utf8)
        if nameBytes.count > 100 || !nameBytes.allSatisfy({ $0 < 0x80 && $0 != 0 }) {
            records.append(("path", header.name))
        }
        let linkBytes = Array(header.linkName.utf8)
        if linkBytes.count > 100 || !linkBytes.allSatisfy({ $0 < 0x80 && $0 != 0 }) {
            records.append(("linkpath", header.linkName))
        }
        if !fits(header.size, width: 12) { records.append(("size", String(header.size))) }
        if !fits(Int64(header.userID), width: 8) { records.append(("uid", String(header.userID))) }
        if !fits(Int64(header.groupID), width: 8) { records.append(("gid", String(header.groupID))) }
        if !fits(header.modificationTime, width: 12) { records.append(("mtime", String(header.modificationTime))) }

        var output: [UInt8] = []
        if !records.isEmpty {
            records.sort { $0.0 < $1.0 }
            let body = records.flatMap { paxRecord($0.0, $0.1) }
            let paxHeader = TarHeader(
                name: paxName(for: header.name), kind: .paxExtended, mode: 0o644, userID: 0, groupID: 0,
                size: Int64(body.count), modificationTime: fits(header.modificationTime, width: 12) ? header.modificationTime : 0)
            output += ustarBlock(paxHeader)
            output += body
            output += [UInt8](repeating: 0, count: padding(for: Int64(body.count)))
        }
        output += ustarBlock(header)
        return output
    }

    /// The zero bytes that pad `size` bytes of content to a whole block.
    ///
    /// - Parameter size: The content's size.
    /// - Returns: From 0 to 511.
    package static func padding(for size: Int64) -> Int {
        let remainder = Int(size % Int64(blockSize))
        return remainder == 0 ? 0 : blockSize - remainder
    }

    /// One `"<length> <key>=<value>\n"` record, its length counting itself.
    static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let base = key.utf8.count + value.utf8.count + 3
        var length = base + String(base).count
        if String(length).count != String(base).count { length = base + String(length).count }
        return Array("\(length) \(key)=\(value)\n".utf8)
    }

    /// The name of a PAX header entry, as Go's `archive/tar` forms it: `<dir>/PaxHeaders.0/<base>`, ASCII, cut
    /// to 100 bytes.
    static func paxName(for name: String) -> String {
        var trimmed = name
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        let base = parts.last.map(String.init) ?? ""
        let dir = parts.dropLast().joined(separator: "/")
        let joined = (dir.isEmpty ? "" : dir + "/") + "PaxHeaders.0/" + base
        let ascii = joined.unicodeScalars.filter { $0.isASCII && $0.value != 0 }.map(Character.init)
        return String(decoding: Array(String(ascii).utf8.prefix(100)), as: UTF8.self)
    }

    /// Whether a number fits an octal field of `width` bytes (width-1 digits and a NUL).
    static func fits(_ value: Int64, width: Int) -> Bool {
        guard value >= 0 else { return false }
        let digits = width - 1
        return value < (Int64(1) << (3 * digits))
    }

    /// The 512-byte USTAR block; fields that do not fit are left zero (their PAX record carries them).
    static func ustarBlock(_ header: TarHeader) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        func put(_ bytes: some Collection<UInt8>, at offset: Int, width: Int) {
            for (index, byte) in bytes.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int64, at offset: Int, width: Int) {
            let number = fits(value, width: width) ? value : 0
            var text = String(number, radix: 8)
            text = String(repeating: "0", count: max(0, width - 1 - text.count)) + text
            put(Array(text.utf8), at: offset, width: width - 1)
        }
        let asciiName = Array(header.name.utf8)
        if asciiName.count <= 100, asciiName.allSatisfy({ $0 < 0x80 && $0 != 0 }) {
            put(asciiName, at: 0, width: 100)
        } else {
            put(Array(header.name.unicodeScalars.filter(\.isASCII).map { UInt8($0.value) }.prefix(100)), at: 0, width: 100)
        }
        octal(Int64(header.mode & 0o7777), at: 100, width: 8)
        octal(Int64(header.userID), at: 108, width: 8)
        octal(Int64(header.groupID), at: 116, width: 8)
        octal(header.size, at: 124, width: 12)
        octal(header.modificationTime, at: 136, width: 12)
        block[156] = header.kind.rawValue
        let link = Array(header.linkName.utf8)
        if link.count <= 100, link.allSatisfy({ $0 < 0x80 && $0 != 0 }) { put(link, at: 157, width: 100) }
        put(Array("ustar\0".utf8), at: 257, width: 6)
        put(Array("00".utf8), at: 263, width: 2)
        // The checksum is computed with its own field as eight spaces, then written as six octal digits, NUL, space.
        for index in 148..<156 { block[index] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        var text = String(sum, radix: 8)
        text = String(repeating: "0", count: max(0, 6 - text.count)) + text
        put(Array(text.utf8), at: 148, width: 6)
        block[154] = 0
        block[155] = 0x20
        return block
    }
}
