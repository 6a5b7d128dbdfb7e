import DockyardImageBuilder
import DockyardTestSupport
import Foundation
import Testing

/// Collects a tar stream in memory (small archives only).
struct MemorySink: ByteSink {
    var bytes: [UInt8] = []

    mutating func write(_ buffer: UnsafeRawBufferPointer) throws {
        bytes.append(contentsOf: buffer)
    }
}

/// The SDK's one tar writer (layers and docker archives), read back by GNU tar and Python's tarfile.
@Suite("TarWriter")
struct TarWriterTests {
    @Test("PAX names and link targets, a file streamed in several pieces, directories and links: GNU tar and Python read the same entries and bytes")
    func readByOthers() async throws {
        try await TemporaryDirectory.with { scratch in
            let source = scratch.appendingPathComponent("source")
            let content = (0..<(5 * TarWriter<MemorySink>.pieceSize / 2 + 7)).map { (index: Int) -> UInt8 in UInt8(truncatingIfNeeded: index &* 7 &+ index >> 11) }
            try Data(content).write(to: source)
            let longName = "d/" + String(repeating: "ä", count: 70) + ".bin"  // 144 bytes: a PAX path
            let longTarget = "../" + String(repeating: "target/", count: 16)  // 115 bytes: a PAX linkpath
            var tar = TarWriter(into: MemorySink())
            try tar.append(TarHeader(name: "d/", kind: .directory, mode: 0o750, modificationTime: 1_700_000_000))
            try tar.append(
                TarHeader(name: longName, kind: .file, mode: 0o644, userID: 1000, groupID: 1001, size: Int64(content.count), modificationTime: 1_700_000_000),
                contentsOf: source.path)
            try tar.append(TarHeader(name: "d/hard", kind: .hardLink, mode: 0o644, linkName: longName))
            try tar.append(TarHeader(name: "d/link", kind: .symlink, mode: 0o777, linkName: longTarget))
            try tar.append(TarHeader(name: "small.json", kind: .file, mode: 0o600), bytes: Array(#"{"a":1}"#.utf8))
            try tar.finish()
            #expect(tar.sink.bytes.count % 512 == 0)
            let archive = scratch.appendingPathComponent("archive.tar")
            try Data(tar.sink.bytes).write(to: archive)

            #expect(try await pythonList(archive) == [
                "d d 750 0 0 1700000000 0",
                "\(longName) f 644 1000 1001 1700000000 \(content.count)",
                "d/hard h 644 0 0 0 0 \(longName)",
                "d/link l 777 0 0 0 0 \(longTarget)",
                "small.json f 600 0 0 0 7",
            ])
            let out = scratch.appendingPathComponent("out")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let untar = try await ProcessRunner.run("tar", arguments: ["-xf", archive.path, "-C", out.path])
            #expect(untar.succeeded, "\(untar.stderrText)")
            #expect([UInt8](try Data(contentsOf: out.appendingPathComponent(longName))) == content)
            #expect([UInt8](try Data(contentsOf: out.appendingPathComponent("d/hard"))) == content)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out.appendingPathComponent("d/link").path) == longTarget)
            #expect(try String(contentsOf: out.appendingPathComponent("small.json"), encoding: .utf8) == #"{"a":1}"#)
        }
    }

    @Test("a size beyond the octal field (8 GiB) is a PAX size record: GNU tar and Python list it from a sparse archive")
    func sizeBeyondEightGiB() async throws {
        try await TemporaryDirectory.with { scratch in
            let size: Int64 = 8 << 30 + 3
            let header = TarEncoding.headerBytes(TarHeader(name: "big", kind: .file, mode: 0o644, size: size))
            #expect(header.count == 3 * 512)  // the PAX header, its record, the USTAR block
            #expect(String(decoding: header[512..<1024].prefix { $0 != 0 }, as: UTF8.self) == "19 size=8589934595\n")
            // The header, then a hole for the content and its padding (no 8 GiB written), then the end blocks.
            let archive = scratch.appendingPathComponent("big.tar")
            #expect(FileManager.default.createFile(atPath: archive.path, contents: nil))
            let handle = try FileHandle(forWritingTo: archive)
            defer { try? handle.close() }
            try handle.write(contentsOf: header)
            let end = UInt64(header.count) + UInt64(size) + UInt64(TarEncoding.padding(for: size))
            try handle.seek(toOffset: end)
            try handle.write(contentsOf: [UInt8](repeating: 0, count: 1024))
            try handle.synchronize()

            let gnu = try await ProcessRunner.run("tar", arguments: ["--numeric-owner", "-tvf", archive.path])
            #expect(gnu.succeeded, "\(gnu.stderrText)")
            #expect(gnu.stdoutLines.count == 1)
            #expect(gnu.stdoutLines.first?.contains(" 8589934595 ") == true, "\(gnu.stdoutText)")
            #expect(gnu.stdoutLines.first?.hasSuffix(" big") == true, "\(gnu.stdoutText)")
            #expect(try await pythonList(archive) == ["big f 644 0 0 0 8589934595"])
        }
    }

    @Test("a file that ends before its header's size and a content-less entry with a size are refused")
    func refusals() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let short = scratch.appending("short")
        try Data("four".utf8).write(to: short)
        var tar = TarWriter(into: MemorySink())
        let shrank = #expect(throws: LayerError.self) {
            try tar.append(TarHeader(name: "short", kind: .file, mode: 0o644, size: 5), contentsOf: short.path)
        }
        #expect(shrank?.code == .unsupportedFile)
        let missing = #expect(throws: LayerError.self) {
            try tar.append(TarHeader(name: "gone", kind: .file, mode: 0o644, size: 1), contentsOf: scratch.appending("gone").path)
        }
        #expect(missing?.code == .fileSystem)
        var other = TarWriter(into: MemorySink())
        let sized = #expect(throws: LayerError.self) { try other.append(TarHeader(name: "d/", kind: .directory, mode: 0o755, size: 512)) }
        #expect(sized?.code == .invalidValue)
        let negative = #expect(throws: LayerError.self) {
            try other.append(TarHeader(name: "f", kind: .file, mode: 0o644, size: -1), contentsOf: short.path)
        }
        #expect(negative?.code == .invalidValue)
        #expect(other.sink.bytes.isEmpty)
    }
}
