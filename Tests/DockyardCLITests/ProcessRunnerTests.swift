import DockyardTestSupport
import Foundation
import Testing

/// The test support that every CLI and interop test relies on.
@Suite("Test support")
struct TestSupportTests {
    @Test("ProcessRunner passes stdin and environment through and keeps both outputs and the status")
    func runsProcesses() async throws {
        let result = try await ProcessRunner.run(
            "sh", arguments: ["-c", "cat; echo \"$DOCKYARD_PROBE\" >&2; exit 3"],
            stdin: Data("bytes in\n".utf8), environment: ["DOCKYARD_PROBE": "probe-value"])
        #expect(result.status == 3)
        #expect(result.stdoutText == "bytes in\n")
        #expect(result.stderrText == "probe-value\n")
        #expect(!result.succeeded)
    }

    @Test("ProcessRunner kills a process that runs past its timeout", .timeLimit(.minutes(1)))
    func timesOut() async throws {
        // `sleep 600` outlives the time limit: only the runner's own timeout lets this test finish.
        let error = await #expect(throws: ProcessRunnerError.self) {
            _ = try await ProcessRunner.run("sleep", arguments: ["600"], timeout: .milliseconds(300))
        }
        guard case .timedOut(let command, _, let partial)? = error else {
            Issue.record("expected timedOut, got \(String(describing: error))")
            return
        }
        #expect(command.hasPrefix("sleep"))
        #expect(partial.status != 0)
    }

    @Test("ProcessRunner reports a missing executable")
    func missingExecutable() async throws {
        let name = "dockyard-no-such-program-\(UUID().uuidString)"
        let error = await #expect(throws: ProcessRunnerError.self) { _ = try await ProcessRunner.run(name) }
        guard case .executableNotFound(let missing)? = error else {
            Issue.record("expected executableNotFound, got \(String(describing: error))")
            return
        }
        #expect(missing == name)
    }

    @Test("TestJSON reads and writes JSON")
    func json() throws {
        let value = try TestJSON(parsing: #"{"a":[1,2.5,"x",true,null],"b":{"c":"d/e"}}"#)
        #expect(value["a"]?[0]?.int == 1)
        #expect(value["a"]?[1]?.double == 2.5)
        #expect(value["a"]?[2]?.string == "x")
        #expect(value["a"]?[3]?.bool == true)
        #expect(value["a"]?[4]?.isNull == true)
        #expect(value["b"]?["c"] == "d/e")
        #expect(value.description == #"{"a":[1,2.5,"x",true,null],"b":{"c":"d/e"}}"#)
    }

    @Test("JSONLines reads only the lines after a mark")
    func jsonLines() throws {
        let scratch = try TemporaryDirectory()
        let log = scratch.appending("log.jsonl")
        try Data("{\"n\":1}\n".utf8).write(to: log)
        let mark = JSONLines.mark(log)
        let handle = try FileHandle(forWritingTo: log)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"n\":2}\nnot json\n{\"n\":3}\n".utf8))
        try handle.close()
        #expect(try JSONLines.read(log).compactMap { $0["n"]?.int } == [1, 2, 3])
        #expect(try JSONLines.read(log, since: mark).compactMap { $0["n"]?.int } == [2, 3])
    }

    @Test("TemporaryDirectory removes itself")
    func temporaryDirectory() throws {
        var url: URL?
        do {
            let scratch = try TemporaryDirectory()
            url = scratch.url
            try Data("x".utf8).write(to: scratch.appending("file"))
            #expect(FileManager.default.fileExists(atPath: scratch.url.path))
        }
        if ProcessInfo.processInfo.environment["DOCKYARD_KEEP_TEMP"] != "1", let url {
            #expect(!FileManager.default.fileExists(atPath: url.path))
        }
    }

    @Test("AsyncLock lets one holder in at a time")
    func asyncLock() async throws {
        let lock = AsyncLock()
        let counter = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    await lock.withLock {
                        let inside = counter.enter()
                        #expect(inside == 1)
                        try? await Task.sleep(for: .milliseconds(2))
                        counter.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(counter.maximum == 1)
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0
    private var peak = 0

    func enter() -> Int {
        lock.withLock {
            current += 1
            peak = max(peak, current)
            return current
        }
    }

    func leave() { lock.withLock { current -= 1 } }

    var maximum: Int { lock.withLock { peak } }
}
