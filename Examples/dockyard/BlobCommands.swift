import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand {
    /// `dockyard blob`: moves single blobs.
    struct Blob: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download or upload single blobs, verified.",
            subcommands: [Get.self, Put.self])

        /// `dockyard blob get REPO@DIGEST [-o FILE]`.
        struct Get: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Download a blob to a file (atomically, after verification) or to stdout.")

            @OptionGroup var global: GlobalOptions
            @OptionGroup var transfer: TransferOptions

            @Argument(help: "The blob, as REPOSITORY@DIGEST.")
            var blob: String

            @Option(name: .shortAndLong, help: "The file to write; stdout when absent (bytes are verified at the end, and a mismatch exits 1).")
            var output: String?

            func run() async throws {
                let reference = try ClientFactory.reference(blob)
                guard let digest = reference.digest else {
                    throw ValidationError("'\(blob)' names no digest; use REPOSITORY@sha256:…")
                }
                let reporter = ProgressReporter(global, verb: "downloaded")
                try await ClientFactory.withClient(global) { client in
                    let blobs = try client.blobClient(for: reference.repository, configuration: transfer.blobConfiguration)
                    if let output {
                        let target = URL(fileURLWithPath: output)
                        for try await event in blobs.downloadEvents(digest, to: target) {
                            reporter.handle(event)
                        }
                    } else {
                        try await blobs.stream(digest).forEachChunk { bytes in
                            try StandardOutput.write(bytes)
                        }
                    }
                }
            }
        }

        /// `dockyard blob put REPO FILE`: prints the digest.
        struct Put: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Upload a file as a blob (skipped when present) and print its digest.")

            @OptionGroup var global: GlobalOptions
            @OptionGroup var transfer: TransferOptions

            @Argument(help: "The repository, e.g. 127.0.0.1:5000/alice/app.")
            var repository: String

            @Argument(help: "The file to upload.")
            var file: String

            @Option(name: .customLong("mount-from"), help: "A repository of the same registry to mount the blob from.")
            var mountFrom: String?

            func run() async throws {
                let reference = try ClientFactory.reference(repository)
                let mountSource = try mountFrom.map { try ClientFactory.reference($0).repository }
                let reporter = ProgressReporter(global, verb: "uploaded")
                let fileURL = URL(fileURLWithPath: file)
                let result = try await ClientFactory.withClient(global) { client in
                    let blobs = try client.blobClient(
                        for: reference.repository, actions: [.pull, .push],
                        extraScopes: mountSource.map { [.repository($0, actions: [.pull])] } ?? [],
                        configuration: transfer.blobConfiguration)
                    return try await blobs.upload(contentsOf: fileURL, mountingFrom: mountSource) { event in
                        reporter.handleFromAnyTask(event)
                    }
                }
                if global.json {
                    let outcome: String
                    switch result.outcome {
                    case .uploaded: outcome = "uploaded"
                    case .skipped: outcome = "skipped"
                    case .mounted: outcome = "mounted"
                    }
                    Output.jsonObject([
                        "event": .string("result"), "digest": .string(result.digest.description),
                        "size": .int(result.size), "outcome": .string(outcome),
                    ])
                } else {
                    Output.line(result.digest.description)
                }
            }
        }
    }
}

/// Writes bytes straight to file descriptor 1, without copying them into `Data`.
enum StandardOutput {
    struct WriteFailed: Error, CustomStringConvertible {
        var code: Int32
        var description: String { "writing to stdout failed: \(String(cString: strerror(code)))" }
    }

    static func write(_ bytes: UnsafeRawBufferPointer) throws {
        let failure: Int32? = {
            guard var pointer = bytes.baseAddress else { return nil }
            var remaining = bytes.count
            while remaining > 0 {
                let count = Foundation.write(1, pointer, remaining)
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                pointer += count
                remaining -= count
            }
            return nil
        }()
        if let failure { throw WriteFailed(code: failure) }
    }
}

extension ProgressReporter: @unchecked Sendable {
    /// Handles an event from a transfer's own task (uploads report from the transport's body reader).
    func handleFromAnyTask(_ event: TransferEvent) {
        ProgressReporter.lock.lock()
        defer { ProgressReporter.lock.unlock() }
        handle(event)
    }

    private static let lock = NSLock()
}
