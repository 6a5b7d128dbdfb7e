import ArgumentParser
import Dockyard
import Foundation

/// `docker-archive:FILE[:REF]` on the image commands: `pull REF --docker-archive FILE`, `push docker-archive:FILE REF`
/// and `copy` with a tarball on either side, each one SDK transfer.
enum DockerArchiveCommands {
    static let prefix = "docker-archive:"

    /// Whether `text` names a docker archive.
    static func names(_ text: String) -> Bool { text.hasPrefix(prefix) }

    /// `docker-archive:FILE[:REF]` (the file name stops at the first colon, as in skopeo).
    static func archive(_ text: String, transfer: TransferOptions) throws -> DockerArchiveImage {
        let rest = text.dropFirst(prefix.count)
        let path = rest.prefix { $0 != ":" }
        guard !path.isEmpty else { throw ValidationError("'\(text)': expected docker-archive:FILE[:REFERENCE]") }
        let tail = rest.dropFirst(path.count).dropFirst()
        let reference = tail.isEmpty ? nil : try ClientFactory.reference(String(tail))
        return DockerArchiveImage(
            file: URL(fileURLWithPath: String(path)), reference: reference, blobConfiguration: transfer.blobConfiguration)
    }

    /// A registry reference, a docker archive or an OCI layout (`oci:DIR[:NAME]`), as a transfer's end.
    static func end(_ text: String, transfer: TransferOptions, client: RegistryClient) throws -> any ImageSource & ImageDestination {
        if names(text) { return try archive(text, transfer: transfer) }
        if text.hasPrefix("oci:"), case .layout(let directory, let name) = try ImageLocation(parsing: text) {
            return try OCILayout(at: directory).image(named: name, blobConfiguration: transfer.blobConfiguration)
        }
        return client.image(try ClientFactory.reference(text))
    }

    /// `dockyard pull REF --docker-archive FILE`.
    static func pull(
        _ reference: String, into file: String, global: GlobalOptions, transfer: TransferOptions, platform: String?
    ) async throws {
        try await copy(reference, prefix + file + ":" + reference, global: global, transfer: transfer, platform: platform, look: .pull)
    }

    /// Moves an image between a registry and a tarball (or two tarballs), with progress, and prints the result.
    static func copy(
        _ source: String, _ destination: String, global: GlobalOptions, transfer: TransferOptions, platform: String?,
        all: Bool = false, look: ProgressReporter.Look = .blobs(verb: "copied")
    ) async throws {
        let selection = try PlatformOption.selection(platform: platform, all: all)
        let reporter = ProgressReporter(global, look: look)
        let result = try await ClientFactory.withClient(global, configure: transfer.apply) { client in
            try await reporter.report(client.transferEvents(
                from: end(source, transfer: transfer, client: client), to: end(destination, transfer: transfer, client: client),
                options: ImageTransferOptions(platforms: selection, concurrency: transfer.concurrency)))
        }
        guard let result else { return }
        if global.json {
            Output.jsonObject([
                "event": .string("finished"), "source": .string(result.source), "destination": .string(result.destination),
                "digest": .string(result.digest.description), "totals": ProgressReporter.json(result.totals),
            ])
        } else if !global.quiet {
            Output.line("Copied \(result.source) to \(result.destination) \(result.digest) "
                + "(\(result.totals.transferred) blobs sent, \(result.totals.mounted) mounted, \(result.totals.skipped) present)")
        }
    }
}
