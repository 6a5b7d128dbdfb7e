import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file of a tar archive, found by ``TarIndex``: where its bytes are, or what it links to.
struct TarEntry: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case file
        case directory
        /// A hard link: the target is a path in the archive.
        case hardLink(String)
        /// A symbolic link: the target is relative to the link's directory (or absolute in the archive).
        case symbolicLink(String)
        case other
    }

    var name: String
    var kind: Kind
    /// The offset of the entry's bytes in the archive file.
    var offset: Int64
    var size: Int64
}

/// The entries of an uncompressed tar file, read header by header (never the files' bytes): ustar, PAX extended
/// headers (`path`, `linkpath`, `size`), GNU long names and base-256 sizes.
struct TarIndex: Sendable {
    private(set) var entries: [String: TarEntry] = [:]
    let url: URL

    /// At most this many entries (a `docker save` tarball has a few per layer).
    static let entryLimit = 1 << 20
    /// Extended headers and long names are read into memory; they are small.
    static let metadataLimit = 1 << 20

    /// Reads every header of the archive at `url`.
    init(reading url: URL) throws(DockerArchiveError) {
        self.url = url
        let file = try ArchiveFile(url)
        let length = try file.length()
        var offset: Int64 = 0
        var pax: [String: String] = [:]
        var longName: String?
        var longLink: String?
        while true {
            guard offset <= length - 512 else {
                // No end-of-archive blocks: tolerated when the file ends at a header boundary.
                if offset == length { break }
                throw DockerArchiveError(.invalidArchive, "\(url.path) ends inside a tar header at \(offset) bytes; the file is truncated or not a tar archive", path: url)
            }
            let header = try file.read(at: offset, count: 512)
            if header.allSatisfy({ $0 == 0 }) { break }
            guard Self.checksumMatches(header) else {
                if offset == 0, header.starts(with: [0x1F, 0x8B]) {
                    throw DockerArchiveError(.invalidArchive, "\(url.path) is gzip-compressed; decompress it (gunzip) and read the .tar", path: url)
                }
                throw DockerArchiveError(.invalidArchive, "\(url.path) has no valid tar header at \(offset) bytes; it is not a tar archive or is damaged", path: url)
            }
            var size = try Self.number(header[124..<136], url: url)
            if let paxSize = pax["size"] {
                guard let value = Int64(paxSize), value >= 0 else {
                    throw DockerArchiveError(.invalidArchive, "\(url.path) has an invalid PAX size \(paxSize) at \(offset) bytes", path: url)
                }
                size = value
            }
            let dataOffset = offset + 512
            let (padded, overflow) = size.addingReportingOverflow(511)
            guard !overflow, dataOffset <= length, size <= length - dataOffset else {
                throw DockerArchiveError(.invalidArchive, "\(url.path): the entry at \(offset) bytes claims \(size) bytes, more than the file holds; it is truncated", path: url)
            }
            let next = dataOffset + (padded / 512) * 512
            let type = header[156]
            switch type {
            case UInt8(ascii: "x"):
                pax = try Self.paxRecords(file.read(at: dataOffset, count: Self.metadata(size, url)), url: url)
            case UInt8(ascii: "g"):
                break
            case UInt8(ascii: "L"):
                longName = Self.string(try file.read(at: dataOffset, count: Self.metadata(size, url)))
            case UInt8(ascii: "K"):
                longLink = Self.string(try file.read(at: dataOffset, count: Self.metadata(size, url)))
            default:
                var name = Self.string(header[0..<100])
                if header[257..<262].elementsEqual("ustar".utf8) {
                    let prefix = Self.string(header[345..<500])
                    if !prefix.isEmpty { name = prefix + "/" + name }
                }
                name = pax["path"] ?? longName ?? name
                let link = pax["linkpath"] ?? longLink ?? Self.string(header[157..<257])
                let kind: TarEntry.Kind
                switch type {
                case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .file
                case UInt8(ascii: "1"): kind = .hardLink(Self.normalize(link))
                case UInt8(ascii: "2"): kind = .symbolicLink(link)
                case UInt8(ascii: "5"): kind = .directory
                default: kind = .other
                }
                let key = Self.normalize(name)
                guard entries.count < Self.entryLimit else {
                    throw DockerArchiveError(.invalidArchive, "\(url.path) has more than \(Self.entryLimit) entries; it is not a docker archive", path: url)
                }
                entries[key] = TarEntry(name: key, kind: kind, offset: dataOffset, size: kind == .file ? size : 0)
                pax = [:]
                longName = nil
                longLink = nil
            }
            offset = next
        }
    }

    /// The regular file at `path`, following hard and symbolic links (as `docker save` writes shared layers).
    func file(_ path: String) throws(DockerArchiveError) -> TarEntry {
        var current = Self.normalize(path)
        for _ in 0..<16 {
            guard let entry = entries[current] else {
                throw DockerArchiveError(.missingFile, "\(url.path) has no file \(current), which its manifest.json names; the archive is incomplete", path: url)
            }
            switch entry.kind {
            case .file: return entry
            case .hardLink(let target): current = target
            case .symbolicLink(let target):
                let directory = (current as NSString).deletingLastPathComponent
                current = Self.normalize(target.hasPrefix("/") ? target : directory + "/" + target)
            case .directory, .other:
                throw DockerArchiveError(.missingFile, "\(url.path): \(current) is not a regular file", path: url)
            }
        }
        throw DockerArchiveError(.missingFile, "\(url.path): \(path) is a chain of more than 16 links", path: url)
    }

    /// `./a//b/../c/` → `a/c`.
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                _ = parts.popLast()
                continue
            }
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }

    static func string(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    static func checksumMatches(_ header: [UInt8]) -> Bool {
        guard let stored = try? number(header[148..<156], url: URL(fileURLWithPath: "/")) else { return false }
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        for (index, byte) in header.enumerated() {
            let value = (148..<156).contains(index) ? UInt8(ascii: " ") : byte
            unsigned += Int64(value)
            signed += Int64(Int8(bitPattern: value))
        }
        return stored == unsigned || stored == signed
    }

    /// An octal field, or a base-256 one (high bit set) for large values.
    static func number(_ field: ArraySlice<UInt8>, url: URL) throws(DockerArchiveError) -> Int64 {
        guard let first = field.first else { return 0 }
        if first & 0x80 != 0 {
            var value: Int64 = Int64(first & 0x7F)
            for byte in field.dropFirst() {
                let (shifted, overflow) = value.multipliedReportingOverflow(by: 256)
                guard !overflow else { throw DockerArchiveError(.invalidArchive, "\(url.path) has a tar number too large", path: url) }
                value = shifted | Int64(byte)
            }
            return value
        }
        var value: Int64 = 0
        for byte in field {
            if byte == 0 || byte == UInt8(ascii: " ") {
                if value == 0 { continue } else { break }
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(byte) else {
                throw DockerArchiveError(.invalidArchive, "\(url.path) has an invalid octal number in a tar header", path: url)
            }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 8)
            guard !overflow else { throw DockerArchiveError(.invalidArchive, "\(url.path) has a tar number too large", path: url) }
            value = shifted + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func metadata(_ size: Int64, _ url: URL) throws(DockerArchiveError) -> Int {
        guard size <= Int64(metadataLimit) else {
            throw DockerArchiveError(.invalidArchive, "\(url.path) has a tar extended header of \(size) bytes, beyond the \(metadataLimit) allowed", path: url)
        }
        return Int(size)
    }

    /// `LEN key=value\n` records.
    static func paxRecords(_ bytes: [UInt8], url: URL) throws(DockerArchiveError) -> [String: String] {
        var records: [String: String] = [:]
        var rest = bytes[...]
        while !rest.isEmpty {
            guard let space = rest.firstIndex(of: UInt8(ascii: " ")),
                let length = Int(String(decoding: rest[rest.startIndex..<space], as: UTF8.self)),
                length > space - rest.startIndex, length <= rest.count
            else {
                throw DockerArchiveError(.invalidArchive, "\(url.path) has a malformed PAX extended header", path: url)
            }
            let record = rest[(space + 1)..<(rest.startIndex + length - 1)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                records[String(decoding: record[record.startIndex..<equals], as: UTF8.self)] =
                    String(decoding: record[(equals + 1)...], as: UTF8.self)
            }
            rest = rest[(rest.startIndex + length)...]
        }
        return records
    }
}

/// An open archive file for reading with `pread`, closed when released.
final class ArchiveFile: Sendable {
    let descriptor: Int32
    let url: URL

    init(_ url: URL) throws(DockerArchiveError) {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw DockerArchiveError.system(errno, "opening", url) }
        self.descriptor = descriptor
        self.url = url
    }

    deinit { close(descriptor) }

    func length() throws(DockerArchiveError) -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw DockerArchiveError.system(errno, "reading", url) }
        return Int64(info.st_size)
    }

    /// Exactly `count` bytes at `offset`; fails when the file is shorter.
    func read(at offset: Int64, count: Int) throws(DockerArchiveError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let result = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress.map { $0 + done }, count - done, off_t(offset + Int64(done))) }
            if result < 0 {
                if errno == EINTR { continue }
                throw DockerArchiveError.system(errno, "reading", url)
            }
            guard result > 0 else {
                throw DockerArchiveError(.invalidArchive, "\(url.path) ended at \(offset + Int64(done)) bytes, before the \(offset + Int64(count)) expected", path: url)
            }
            done += result
        }
        return bytes
    }
}

/// Writes a tar file: ustar headers (base-256 sizes beyond 8 GiB), regular files and directories, modification
/// time 0, owner root. Files are copied in 1 MiB pieces.
final class TarFileWriter {
    private let descriptor: Int32
    let url: URL

    /// Creates `url`, which must not exist.
    init(creating url: URL) throws(DockerArchiveError) {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw DockerArchiveError.system(errno, "creating", url) }
        self.descriptor = descriptor
        self.url = url
    }

    deinit { close(descriptor) }

    func directory(_ name: String) throws(DockerArchiveError) {
        try write(Self.header(name: name + "/", size: 0, type: UInt8(ascii: "5"), mode: 0o755, url: url))
    }

    func file(_ name: String, bytes: [UInt8]) throws(DockerArchiveError) {
        try write(Self.header(name: name, size: Int64(bytes.count), type: UInt8(ascii: "0"), mode: 0o644, url: url))
        try write(bytes)
        try write([UInt8](repeating: 0, count: Self.padding(Int64(bytes.count))))
    }

    /// Copies the file at `source` (of `size` bytes) in as `name`.
    func file(_ name: String, copying source: URL, size: Int64) throws(DockerArchiveError) {
        try write(Self.header(name: name, size: size, type: UInt8(ascii: "0"), mode: 0o644, url: url))
        let input = try ArchiveFile(source)
        var offset: Int64 = 0
        while offset < size {
            let piece = try input.read(at: offset, count: Int(min(Int64(1 << 20), size - offset)))
            try write(piece)
            offset += Int64(piece.count)
        }
        try write([UInt8](repeating: 0, count: Self.padding(size)))
    }

    /// The two zero blocks that end an archive, then a flush to disk.
    func finish() throws(DockerArchiveError) {
        try write([UInt8](repeating: 0, count: 1024))
        guard fsync(descriptor) == 0 else { throw DockerArchiveError.system(errno, "flushing", url) }
    }

    private func write(_ bytes: [UInt8]) throws(DockerArchiveError) {
        var done = 0
        while done < bytes.count {
            let result = bytes.withUnsafeBytes { posixWrite(descriptor, $0.baseAddress.map { $0 + done }, bytes.count - done) }
            if result < 0 {
                if errno == EINTR { continue }
                throw DockerArchiveError.system(errno, "writing", url)
            }
            done += result
        }
    }

    static func padding(_ size: Int64) -> Int { Int((512 - size % 512) % 512) }

    static func header(name: String, size: Int64, type: UInt8, mode: Int, url: URL) throws(DockerArchiveError) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 512)
        let nameBytes = Array(name.utf8)
        guard nameBytes.count <= 100 else {
            throw DockerArchiveError(.fileSystem, "the tar entry name \(name) is longer than 100 bytes", path: url)
        }
        header.replaceSubrange(0..<nameBytes.count, with: nameBytes)
        func octal(_ value: Int64, at offset: Int, width: Int) {
            let digits = Array(String(value, radix: 8).utf8)
            let padded = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, width - 1 - digits.count)) + digits
            header.replaceSubrange(offset..<(offset + padded.count), with: padded)
        }
        octal(Int64(mode), at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        if size < 0o77777777777 {
            octal(size, at: 124, width: 12)
        } else {
            // base-256: the high bit of the first byte set, the value big-endian in the rest.
            var value = size
            for index in stride(from: 135, to: 124, by: -1) {
                header[index] = UInt8(truncatingIfNeeded: value)
                value >>= 8
            }
            header[124] = 0x80
        }
        octal(0, at: 136, width: 12)
        header[156] = type
        header.replaceSubrange(257..<263, with: Array("ustar\0".utf8))
        header.replaceSubrange(263..<265, with: Array("00".utf8))
        header.replaceSubrange(148..<156, with: [UInt8](repeating: UInt8(ascii: " "), count: 8))
        let sum = header.reduce(0) { $0 + Int64($1) }
        let digits = Array(String(sum, radix: 8).utf8)
        let field = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, 6 - digits.count)) + digits + [0, UInt8(ascii: " ")]
        header.replaceSubrange(148..<156, with: field)
        return header
    }
}

/// `write(2)`, out of reach of the methods named `write`.
func posixWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

extension TarFileWriter {
    /// A new file written with `write(2)`, for staging a decompressed layer.
    final class RawFile {
        private var descriptor: Int32
        let url: URL

        init(creating url: URL) throws(DockerArchiveError) {
            let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw DockerArchiveError.system(errno, "creating", url) }
            self.descriptor = descriptor
            self.url = url
        }

        deinit { if descriptor >= 0 { _ = posixClose(descriptor) } }

        func write(_ bytes: UnsafeRawBufferPointer) throws(DockerArchiveError) {
            guard let base = bytes.baseAddress else { return }
            var done = 0
            while done < bytes.count {
                let result = posixWrite(descriptor, base + done, bytes.count - done)
                if result < 0 {
                    if errno == EINTR { continue }
                    throw DockerArchiveError.system(errno, "writing", url)
                }
                done += result
            }
        }

        func close() throws(DockerArchiveError) {
            let result = posixClose(descriptor)
            descriptor = -1
            guard result == 0 else { throw DockerArchiveError.system(errno, "closing", url) }
        }
    }
}

/// `close(2)`, out of reach of the methods named `close`.
func posixClose(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}
