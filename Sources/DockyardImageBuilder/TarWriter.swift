/// Where the bytes of a tar stream go, in order.
protocol ByteSink {
    /// Takes the next bytes; the buffer is only valid during the call.
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// One tar entry's header fields, before encoding.
struct TarHeader: Hashable {
    /// The kinds of entries a layer holds.
    enum Kind: UInt8 {
        case file = 0x30  // '0'
        case hardLink = 0x31  // '1'
        case symlink = 0x32  // '2'
        case directory = 0x35  // '5'
        case paxExtended = 0x78  // 'x'
    }

    var name: String
    var kind: Kind
    var mode: UInt32
    var userID: Int
    var groupID: Int
    var size: Int64
    var modificationTime: Int64
    var linkName: String = ""
}

/// Encodes tar headers the reproducible way: USTAR when every field fits, with a PAX extended header
/// (POSIX.1-2001 `pax` format, typeflag `x`) in front when a name is longer than its field or not ASCII, or a
/// number is too large for its octal field. No user or group names, no device numbers, no access times.
enum TarEncoding {
    static let blockSize = 512

    /// The header block(s) of an entry: an optional PAX header with its records, then the USTAR block.
    static func headerBytes(_ header: TarHeader) -> [UInt8] {
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
    static func padding(for size: Int64) -> Int {
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
