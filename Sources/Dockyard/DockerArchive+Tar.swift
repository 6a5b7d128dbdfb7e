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
