import DockyardImageBuilder
import DockyardTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
import DockyardManifests
import DockyardReferences
#endif

/// Makes the same small tree every time: files with set modes, a nested directory, a symbolic link, a hard link,
/// a long non-ASCII name (a PAX record), and an empty file.
func makeSampleTree(at root: URL) throws {
    let manager = FileManager.default
    try manager.createDirectory(at: root.appendingPathComponent("bin"), withIntermediateDirectories: true)
    try manager.createDirectory(at: root.appendingPathComponent("etc/app"), withIntermediateDirectories: true)
    try Data("#!/bin/sh\necho hello\n".utf8).write(to: root.appendingPathComponent("bin/hello"))
    chmod(root.appendingPathComponent("bin/hello").path, 0o755)
    try Data("key = value\n".utf8).write(to: root.appendingPathComponent("etc/app/config.toml"))
    chmod(root.appendingPathComponent("etc/app/config.toml").path, 0o640)
    try Data().write(to: root.appendingPathComponent("empty"))
    chmod(root.appendingPathComponent("empty").path, 0o644)
    let longName = String(repeating: "ü", count: 60) + ".txt"
    try Data(repeating: 0x61, count: 3000).write(to: root.appendingPathComponent("etc/" + longName))
    chmod(root.appendingPathComponent("etc/" + longName).path, 0o644)
    symlink("../etc/app/config.toml", root.appendingPathComponent("bin/config").path)
    link(root.appendingPathComponent("bin/hello").path, root.appendingPathComponent("bin/hello-again").path)
    for directory in ["bin", "etc", "etc/app"] { chmod(root.appendingPathComponent(directory).path, 0o755) }
}

/// Lists a tar (gzip or not) with Python's `tarfile`: name, type, mode, uid, gid, mtime, size, link target.
func pythonList(_ file: URL) async throws -> [String] {
    let script = """
        import sys, tarfile
        with tarfile.open(sys.argv[1]) as t:
            for m in t.getmembers():
                kind = 'f' if m.isreg() else 'd' if m.isdir() else 'l' if m.issym() else 'h' if m.islnk() else '?'
                print(f"{m.name} {kind} {m.mode:o} {m.uid} {m.gid} {m.mtime} {m.size} {m.linkname}".rstrip())
        """
    let result = try await ProcessRunner.run("python3", arguments: ["-c", script, file.path])
    #expect(result.succeeded, "\(result.stderrText)")
    return result.stdoutLines
}

@Suite("LayerBuilder")
struct LayerBuilderTests {
    @Test("a directory becomes a reproducible, sorted tar with implied parents, links and PAX names")
    func directoryLayer() async throws {
        try await TemporaryDirectory.with { scratch in
            let tree = scratch.appendingPathComponent("tree")
            try makeSampleTree(at: tree)
            let layer = try LayerBuilder.build(
                [.directory(tree, at: "/opt/sample")], to: scratch.appendingPathComponent("layer.tar.gz"),
                options: LayerOptions(modificationTime: 1_700_000_000))
            let longName = String(repeating: "ü", count: 60) + ".txt"
            #expect(try await pythonList(layer.file) == [
                "opt d 755 0 0 1700000000 0",
                "opt/sample d 755 0 0 1700000000 0",
                "opt/sample/bin d 755 0 0 1700000000 0",
                "opt/sample/bin/config l 777 0 0 1700000000 0 ../etc/app/config.toml",
                "opt/sample/bin/hello f 755 0 0 1700000000 21",
                "opt/sample/bin/hello-again h 755 0 0 1700000000 0 opt/sample/bin/hello",
                "opt/sample/empty f 644 0 0 1700000000 0",
                "opt/sample/etc d 755 0 0 1700000000 0",
                "opt/sample/etc/app d 755 0 0 1700000000 0",
                "opt/sample/etc/app/config.toml f 640 0 0 1700000000 12",
                "opt/sample/etc/\(longName) f 644 0 0 1700000000 3000",
            ])
            #expect(layer.descriptor.mediaType == .ociLayerGzip)
            #expect(layer.descriptor.size == Int64(try Data(contentsOf: layer.file).count))
            #expect(layer.descriptor.digest.matches([UInt8](try Data(contentsOf: layer.file))))

            // The diff ID is the digest of the uncompressed tar: gunzip it and hash it.
            let gunzip = try await ProcessRunner.run("gzip", arguments: ["-dc", layer.file.path])
            #expect(gunzip.succeeded)
            #expect(layer.diffID.matches([UInt8](gunzip.stdout)))
            #expect(layer.uncompressedSize == Int64(gunzip.stdout.count))

            // GNU tar extracts the same tree.
            let out = scratch.appendingPathComponent("out")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let untar = try await ProcessRunner.run("tar", arguments: ["-xzf", layer.file.path, "-C", out.path])
            #expect(untar.succeeded, "\(untar.stderrText)")
            #expect(try String(contentsOf: out.appendingPathComponent("opt/sample/bin/config"), encoding: .utf8) == "key = value\n")
        }
    }

    @Test("same files, same digests; a pinned digest guards the format")
    func reproducible() throws {
        let first = try TemporaryDirectory()
        let second = try TemporaryDirectory()
        defer { first.remove(); second.remove() }
        try makeSampleTree(at: first.appending("a", "tree"))
        try makeSampleTree(at: second.appending("b", "other-name"))
        let one = try LayerBuilder.build([.directory(first.appending("a", "tree"), at: "/app")], to: first.appending("l1"), options: LayerOptions(modificationTime: 0))
        let two = try LayerBuilder.build([.directory(second.appending("b", "other-name"), at: "/app")], to: second.appending("l2"), options: LayerOptions(modificationTime: 0))
        #expect(one.descriptor == two.descriptor)
        #expect(one.diffID == two.diffID)
        #expect(one.diffID.description == "sha256:2ce83bc53f5aa00716dee91647877e400e0f26d3cb6c37570ee211e55eb0523d")
    }

    @Test("single files take their path and mode in the image; uid, gid and mtime come from the options")
    func filesLayer() async throws {
        try await TemporaryDirectory.with { scratch in
            let binary = scratch.appendingPathComponent("app")
            try Data("binary".utf8).write(to: binary)
            chmod(binary.path, 0o600)
            let layer = try LayerBuilder.build(
                [.file(binary, at: "/usr/local/bin/app", mode: 0o755), .symlink(at: "/app", target: "/usr/local/bin/app"),
                 .emptyDirectory(at: "/data", mode: 0o700)],
                to: scratch.appendingPathComponent("files.tgz"),
                options: LayerOptions(modificationTime: 42, userID: 1000, groupID: 1001, compression: .gzip(level: 9)))
            #expect(try await pythonList(layer.file) == [
                "app l 777 1000 1001 42 0 /usr/local/bin/app",
                "data d 700 1000 1001 42 0",
                "usr d 755 1000 1001 42 0",
                "usr/local d 755 1000 1001 42 0",
                "usr/local/bin d 755 1000 1001 42 0",
                "usr/local/bin/app f 755 1000 1001 42 6",
            ])
        }
    }

    @Test("an uncompressed layer's digest is its diff ID; an existing tar is compressed as it is")
    func uncompressedAndTarStream() async throws {
        try await TemporaryDirectory.with { scratch in
            let tree = scratch.appendingPathComponent("tree")
            try makeSampleTree(at: tree)
            let plain = try LayerBuilder.build(
                [.directory(tree)], to: scratch.appendingPathComponent("plain.tar"), options: LayerOptions(compression: .none))
            #expect(plain.descriptor.mediaType == .ociLayer)
            #expect(plain.descriptor.digest == plain.diffID)
            let handle = try FileHandle(forReadingFrom: plain.file)
            defer { try? handle.close() }
            let recompressed = try LayerBuilder.build(tarFrom: handle, to: scratch.appendingPathComponent("again.tar.gz"))
            #expect(recompressed.diffID == plain.diffID)
            #expect(recompressed.uncompressedSize == plain.uncompressedSize)
            #expect(try await pythonList(recompressed.file).count == 9)
        }
    }

    @Test("paths that climb out of the image are refused")
    func invalidPath() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let file = scratch.appending("f")
        try Data("x".utf8).write(to: file)
        #expect(throws: LayerError.self) {
            try LayerBuilder.build([.file(file, at: "/../etc/passwd")], to: scratch.appending("bad.tgz"))
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.appending("bad.tgz").path))
    }
}
