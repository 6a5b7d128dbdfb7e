import DockyardTestSupport
import Foundation
import Testing

/// `dockyard demo` (the README's main job) and `dockyard serve`, run as programs.
@Suite("dockyard demo and serve", .requiresDockyardBinary)
struct ServeAndDemoCommandTests {
    @Test("dockyard demo runs the whole workflow offline and exits 0")
    func demo() async throws {
        let result = try await DockyardCLI().run("demo")
        #expect(result.status == 0, "\(result.stderrText)")
        let text = result.stdoutText
        for step in ["registry", "build", "push", "tags", "attach", "pull", "copy"] {
            #expect(text.contains("\n\(step.padding(toLength: 9, withPad: " ", startingAt: 0)) "), "step \(step) missing:\n\(text)")
        }
        #expect(text.contains("EmbeddedRegistry.start()"))
        #expect(text.contains("1.0, latest"))
        #expect(text.contains("1 referrer of the index"))
        #expect(text.contains("blobs mounted across repositories, 0 uploaded"))
        #expect(text.contains("Done in"))
    }

    @Test("dockyard serve prints its URL, logs one line per request, keeps completed uploads, stops on SIGTERM")
    func serve() async throws {
        let cli = try DockyardCLI()
        let storage = try TemporaryDirectory(prefix: "serve")
        defer { storage.remove() }
        let digest = "sha256:79f076abdd19a752db7267bfff2f9022161d120dea919fdaca2ffdfc24ca8c96"  // of "kept"
        let first = try await Self.startServe(cli, storage.url)
        let upload = first.url.appendingPathComponent("v2/cli/test/blobs/uploads/")
            .appending(queryItems: [URLQueryItem(name: "digest", value: digest)])
        let pushed = try await ControlHTTP.send("POST", upload, body: Data("kept".utf8))
        #expect(pushed.status == 201)
        let start = try await ControlHTTP.send("POST", first.url.appendingPathComponent("v2/cli/test/blobs/uploads/"))
        #expect(start.status == 202)
        first.process.terminate()  // SIGTERM
        first.process.waitUntilExit()
        #expect(first.process.terminationStatus == 0)
        let log = String(decoding: first.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("\"POST /v2/cli/test/blobs/uploads/?digest=\(digest)\" 201"), "\(log)")
        #expect(log.contains("\"POST /v2/cli/test/blobs/uploads/\" 202"))
        #expect(log.contains("stopping"))

        // The completed upload survived the stop.
        let second = try await Self.startServe(cli, storage.url)
        let blob = try await ControlHTTP.get(second.url.appendingPathComponent("v2/cli/test/blobs/\(digest)"))
        #expect(blob.text == "kept")
        second.process.interrupt()  // SIGINT
        second.process.waitUntilExit()
        #expect(second.process.terminationStatus == 0)
    }

    static func startServe(_ cli: DockyardCLI, _ storage: URL) async throws -> (process: Process, url: URL, stderr: Pipe) {
        let process = Process()
        process.executableURL = cli.executable
        process.arguments = ["serve", "--address", "127.0.0.1:0", "--storage", storage.path]
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let firstLine = try #require(await Self.readLine(stdout.fileHandleForReading))
        return (process, try #require(URL(string: firstLine)), stderr)
    }

    /// The first line a pipe delivers (the process prints its URL first).
    static func readLine(_ handle: FileHandle) async -> String? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                while true {
                    let chunk = handle.readData(ofLength: 1)
                    guard let byte = chunk.first else { break }
                    if byte == UInt8(ascii: "\n") { break }
                    bytes.append(byte)
                }
                continuation.resume(returning: bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self))
            }
        }
    }
}
