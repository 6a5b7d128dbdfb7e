import Dockyard
import DockyardTestSupport
import Foundation
import Testing

/// An OCI layout's failure paths, on the local file system only.
@Suite("OCI layout failure paths")
struct ImageLayoutTests {
    @Test("Adding an entry to a layout whose index.json is damaged throws and leaves index.json as it was")
    func damagedIndexIsNotReplaced() throws {
        let (scratch, layout) = try ImageFixtures.layout()
        defer { scratch.remove() }
        let built = try TestImages.build(in: layout, refName: "v1", layerSizes: [100])
        let damaged = Array(#"{"schemaVersion":2,"manifests":[{"#.utf8)
        try Data(damaged).write(to: layout.indexURL)

        let error = #expect(throws: LayoutError.self) { try layout.setEntry(built.entry, named: "v2") }
        #expect(error?.code == .invalidLayout)
        #expect(try [UInt8](Data(contentsOf: layout.indexURL)) == damaged)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: layout.directory.path)
        #expect(leftovers.allSatisfy { !$0.contains("partial") }, "\(leftovers)")
    }

    @Test("A manifest blob larger than its descriptor says is refused as corrupt")
    func oversizedManifestBlob() throws {
        let (scratch, layout) = try ImageFixtures.layout()
        defer { scratch.remove() }
        let built = try TestImages.build(in: layout, refName: "v1", layerSizes: [100])
        let url = layout.blobURL(for: built.entry.digest)
        var bytes = try [UInt8](Data(contentsOf: url))
        bytes += Array(repeating: UInt8(ascii: " "), count: 4096)
        try Data(bytes).write(to: url)

        let error = #expect(throws: LayoutError.self) { try layout.document(built.entry) }
        #expect(error?.code == .corruptBlob)
        #expect(error?.message.contains("\(bytes.count) bytes") == true, "\(String(describing: error))")
    }

    @Test("Opening a layout that does not exist creates nothing until something is written")
    func openingCreatesNothing() throws {
        let scratch = try TemporaryDirectory(prefix: "layout-open")
        defer { scratch.remove() }
        let directory = scratch.url.appendingPathComponent("new")
        let layout = try OCILayout(at: directory)
        #expect(!FileManager.default.fileExists(atPath: directory.path))
        #expect(!layout.exists)
        #expect(try layout.entries().isEmpty)
        #expect(throws: LayoutError.self) { try OCILayout(at: directory, create: false) }
    }

    @Test("The engine copies an image between two layouts, blob for blob, and names the entry")
    func layoutToLayout() async throws {
        let (scratch, source) = try ImageFixtures.layout()
        defer { scratch.remove() }
        let built = try TestImages.build(in: source, refName: "v1", platforms: ["linux/amd64", "linux/arm64/v8"])
        let target = try OCILayout(at: scratch.url.appendingPathComponent("copy"))
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }

        let result = try await client.transfer(
            from: source.image(named: "v1"), to: target.image(named: "copied"), options: .init(platforms: .all))
        #expect(result.digest == built.entry.digest)
        #expect(result.totals.transferred == built.blobs.count)
        #expect(try target.entry(named: "copied").digest == built.entry.digest)
        #expect(try TestImages.blobFiles(target.directory) == TestImages.blobFiles(source.directory))

        // Again, with skip-if-present: the entry already points at the digest, so nothing is looked at.
        let again = try await client.transfer(
            from: source.image(named: "v1"), to: target.image(named: "copied"),
            options: .init(platforms: .all, skipIfPresent: true))
        #expect(again.upToDate)
        #expect(again.totals == TransferTotals())
    }

    @Test("A transfer whose source lacks a blob fails before anything is written, and leaves no layout behind")
    func missingBlobCreatesNothing() async throws {
        let (scratch, source) = try ImageFixtures.layout()
        defer { scratch.remove() }
        let built = try TestImages.build(in: source, refName: "v1", layerSizes: [100, 200])
        try FileManager.default.removeItem(at: source.blobURL(for: built.blobs[2].digest))
        let targetDirectory = scratch.url.appendingPathComponent("never")
        let target = try OCILayout(at: targetDirectory)
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }

        let error = await #expect(throws: LayoutError.self) {
            try await client.transfer(from: source.image(named: "v1"), to: target.image(named: "v1"))
        }
        #expect(error?.code == .missingBlob)
        #expect(!FileManager.default.fileExists(atPath: targetDirectory.path))
    }
}
