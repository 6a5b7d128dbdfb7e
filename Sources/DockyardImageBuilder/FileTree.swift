import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One entry of a layer's tar, gathered from the file system before anything is written.
struct TreeEntry {
    enum Source {
        case file(path: String, size: Int64)
        case directory
        case symlink(target: String)
        case hardLink(target: String)
    }

    /// The path in the image, without leading or trailing slash.
    var path: String
    var source: Source
    var mode: UInt32
    /// Device and inode of a regular file with several links, to keep hard links as links.
    var inode: FileIdentity?
}

struct FileIdentity: Hashable {
    var device: UInt64
    var inode: UInt64
}

/// Gathers layer contents into sorted tar entries and writes them.
enum FileTree {
    private static let typeMask: UInt32 = 0o170000
    private static let directoryType: UInt32 = 0o040000
    private static let regularType: UInt32 = 0o100000
    private static let symlinkType: UInt32 = 0o120000
    private static let socketType: UInt32 = 0o140000

    /// A path in the image as tar names it: no leading slash, no empty or `.` components; `..` is refused.
    static func normalize(_ path: String) throws -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            guard part != ".." else {
                throw LayerError(.invalidPath, "the path in the image '\(path)' climbs out with '..'; give an absolute path such as /app/file")
            }
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }

    /// Every entry of the layer, parents implied, sorted by path bytes, hard links resolved.
    static func collect(_ contents: [LayerContent], options: LayerOptions) throws -> [TreeEntry] {
        var byPath: [String: TreeEntry] = [:]
        for content in contents {
            let target = try normalize(content.path)
            switch content.kind {
            case .tree(let url):
                var info = stat()
                guard stat(url.path, &info) == 0 else { throw LayerError.system(errno, "reading", path: url.path) }
                guard UInt32(info.st_mode) & typeMask == directoryType else {
                    throw LayerError(.unsupportedFile, "\(url.path) is not a directory; add a single file with its path in the image instead", path: url.path)
                }
                if !target.isEmpty {
                    byPath[target] = TreeEntry(path: target, source: .directory, mode: UInt32(info.st_mode) & 0o7777)
                }
                try walk(url.path, prefix: target, into: &byPath)
            case .file(let url, let mode):
                guard !target.isEmpty else {
                    throw LayerError(.invalidPath, "a file needs a path in the image, such as /app/\(url.lastPathComponent)", path: url.path)
                }
                if var entry = try entry(at: url.path, named: target) {
                    if case .directory = entry.source {
                        byPath[target] = entry
                        try walk(url.path, prefix: target, into: &byPath)
                        continue
                    }
                    if let mode { entry.mode = mode & 0o7777 }
                    byPath[target] = entry
                }
            case .symlink(let linkTarget):
                guard !target.isEmpty else { throw LayerError(.invalidPath, "a symbolic link cannot be the image's root") }
                byPath[target] = TreeEntry(path: target, source: .symlink(target: linkTarget), mode: 0o777)
            case .directory(let mode):
                guard !target.isEmpty else { continue }
                byPath[target] = TreeEntry(path: target, source: .directory, mode: mode & 0o7777)
            }
        }
        // Parent directories are implied.
        for path in Array(byPath.keys) {
            var parts = path.split(separator: "/").dropLast()
            while !parts.isEmpty {
                let parent = parts.joined(separator: "/")
                if byPath[parent] == nil {
                    byPath[parent] = TreeEntry(path: parent, source: .directory, mode: 0o755)
                }
                parts = parts.dropLast()
            }
        }
        var entries = byPath.values.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        var firstByInode: [FileIdentity: String] = [:]
        for index in entries.indices {
            guard let identity = entries[index].inode else { continue }
            if let first = firstByInode[identity] {
                entries[index].source = .hardLink(target: first)
            } else {
                firstByInode[identity] = entries[index].path
            }
        }
        return entries
    }

    private static func walk(_ directory: String, prefix: String, into byPath: inout [String: TreeEntry]) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw LayerError(.fileSystem, "cannot list \(directory): \(error.localizedDescription)", path: directory)
        }
        for name in names {
            let full = directory + "/" + name
            let inImage = prefix.isEmpty ? name : prefix + "/" + name
            guard let entry = try entry(at: full, named: inImage) else { continue }
            byPath[inImage] = entry
            if case .directory = entry.source {
                try walk(full, prefix: inImage, into: &byPath)
            }
        }
    }

    /// The entry for one file system object; `nil` for sockets, which a layer cannot hold and tar skips.
    private static func entry(at path: String, named name: String) throws -> TreeEntry? {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw LayerError.system(errno, "reading", path: path) }
        let mode = UInt32(info.st_mode)
        switch mode & typeMask {
        case directoryType:
            return TreeEntry(path: name, source: .directory, mode: mode & 0o7777)
        case regularType:
            let identity = info.st_nlink > 1 ? FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) : nil
            return TreeEntry(path: name, source: .file(path: path, size: Int64(info.st_size)), mode: mode & 0o7777, inode: identity)
        case symlinkType:
            var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self) else { return -1 }
                return readlink(path, base, raw.count - 1)
            }
            guard count >= 0 else { throw LayerError.system(errno, "reading the link", path: path) }
            return TreeEntry(path: name, source: .symlink(target: String(decoding: buffer[0..<count], as: UTF8.self)), mode: 0o777)
        case socketType:
            return nil
        default:
            throw LayerError(
                .unsupportedFile, "\(path) is a device or FIFO, which Dockyard does not put into layers; leave it out", path: path)
        }
    }

    /// Writes one entry: its header, and for a file its bytes (streamed from the file) and padding.
    static func emit(_ entry: TreeEntry, options: LayerOptions, into tar: inout TarWriter<some ByteSink>) throws {
        var header = TarHeader(
            name: entry.path, kind: .file, mode: entry.mode, userID: options.userID, groupID: options.groupID,
            modificationTime: options.modificationTime)
        switch entry.source {
        case .directory:
            header.kind = .directory
            header.name += "/"
        case .symlink(let target):
            header.kind = .symlink
            header.linkName = target
        case .hardLink(let target):
            header.kind = .hardLink
            header.linkName = target
        case .file(let path, let size):
            header.size = size
            try tar.append(header, contentsOf: path)
            return
        }
        try tar.append(header)
    }
}
