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
}
