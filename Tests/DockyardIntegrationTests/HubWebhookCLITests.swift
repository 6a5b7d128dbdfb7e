import DockyardTestSupport
import Foundation
import Testing

/// `dockyard hub webhook serve`: a real delivery from hubsim, a forged one, and requests that are not deliveries.
@Suite("dockyard hub webhook serve against hubsim", .serialized, .requiresHubSim, .tags(.integration),
       .enabled(if: DockyardCLI.locate() != nil || TestServices.areRequired, "dockyard is not built"))
struct HubWebhookCLITests {
    @Test("webhook serve prints hubsim's delivery and sends its callback; refuses a forged callback host and bodies that are not deliveries")
    func serve() async throws {
        let hub = try HubSim.required()
        try await TemporaryDirectory.with { config in
            let environment = ["DOCKYARD_HUB_URL": hub.url.absoluteString, "DOCKER_CONFIG": config.path]
            let cli = try DockyardCLI(environment: environment)
            let login = try await cli.run(["hub", "login", "-u", "carol", "--password-stdin"], stdin: Data(HubSim.carol.password.utf8))
            try #require(login.status == 0, "\(login.stderrText)")

            let process = Process()
            process.executableURL = cli.executable
            process.arguments = ["hub", "webhook", "serve", "--address", "127.0.0.1:0", "--callback", "--callback-description", "checked by dockyard",
                                 "--count", "2", "--json"]
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            let output = Pipe()
            let errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            defer { if process.isRunning { process.terminate() } }
            let lines = LineReader(output.fileHandleForReading)
            let diagnostics = LineReader(errors.fileHandleForReading)
            let banner = try TestJSON(parsing: try await lines.next(timeout: .seconds(20)))
            #expect(banner["status"]?.string == "listening")
            let base = try #require(banner["url"]?.string.flatMap(URL.init(string:)))
            let hook = base.appendingPathComponent("hook")

            // Not deliveries: refused with the status that says why, and reported on standard error.
            let garbage = try await ControlHTTP.send("POST", hook, body: Data("{\"push_data\": 1}".utf8), headers: ["Content-Type": "application/json"])
            #expect(garbage.status == 400)
            #expect(try await diagnostics.next(timeout: .seconds(10)).contains("not a Docker Hub delivery"))
            #expect(try await ControlHTTP.send("GET", hook).status == 405)

            // A real delivery: hubsim calls the receiver after a push; the callback goes back to hubsim.
            let name = "acme/" + uniqueHubName("serve")
            #expect(try await cli.run("hub", "repo", "create", name).status == 0)
            let created = try await cli.run("hub", "webhook", "create", name, "local", "--url", hook.absoluteString)
            #expect(created.status == 0, "\(created.stderrText)")
            _ = try await hub.push(repository: name, tag: "v1", pusher: "carol")
            let printed = try TestJSON(parsing: try await lines.next(timeout: .seconds(30)))
            #expect(printed["repository"]?.string == name)
            #expect(printed["tag"]?.string == "v1")
            #expect(printed["pusher"]?.string == "carol")
            #expect(printed["callback"]?.string == "sent", "\(printed)")
            #expect(printed["callback_state"]?.string == "success")
            let accepted = try await hub.callbacks().contains {
                $0["repository"]?.string == name && $0["accepted"]?.bool == true && $0["description"]?.string == "checked by dockyard"
            }
            #expect(accepted)

            // A forged delivery whose callback points elsewhere: printed, the callback refused, nothing sent.
            let forged = """
                {"callback_url": "https://evil.example.com/u/acme/x/hook/0123/", "push_data": {"pushed_at": 1717243200, "pusher": "mallory", "tag": "v6"},
                 "repository": {"name": "x", "namespace": "acme", "repo_name": "acme/x"}}
                """
            let answer = try await ControlHTTP.send("POST", hook, body: Data(forged.utf8), headers: ["Content-Type": "application/json"])
            #expect(answer.status == 200, "the delivery's shape is valid")
            let refused = try TestJSON(parsing: try await lines.next(timeout: .seconds(30)))
            #expect(refused["repository"]?.string == "acme/x")
            #expect(refused["callback"]?.string == "failed")
            let reason = refused["callback_error"]?.string ?? ""
            #expect(reason.contains("evil.example.com") && reason.contains("--allow-callback-host"), "\(reason)")
            #expect(!reason.contains("0123"), "the callback URL's path is a capability and is not printed")

            // --count 2: the receiver stops after the second delivery.
            for _ in 0..<100 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
            #expect(!process.isRunning)
            #expect(process.terminationStatus == 0)
            #expect(try await cli.run("hub", "repo", "delete", name).status == 0)
        }
    }

    @Test("webhook serve: text output, and the address and callback options are checked before listening")
    func serveText() async throws {
        let hub = try HubSim.required()
        try await TemporaryDirectory.with { config in
            let environment = ["DOCKYARD_HUB_URL": hub.url.absoluteString, "DOCKER_CONFIG": config.path]
            let cli = try DockyardCLI(environment: environment)
            #expect(try await cli.run("hub", "webhook", "serve", "--address", "127.0.0.1").status == 2)
            #expect(try await cli.run("hub", "webhook", "serve", "--address", "127.0.0.1:70000").status == 2)
            #expect(try await cli.run("hub", "webhook", "serve", "--callback-state", "maybe").status == 2)
            #expect(try await cli.run("hub", "webhook", "serve", "--callback-context", String(repeating: "x", count: 101)).status == 2)

            let process = Process()
            process.executableURL = cli.executable
            process.arguments = ["hub", "webhook", "serve", "--address", "127.0.0.1:0", "--count", "1"]
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            defer { if process.isRunning { process.terminate() } }
            let lines = LineReader(output.fileHandleForReading)
            let banner = try await lines.next(timeout: .seconds(20))
            #expect(banner.hasPrefix("Listening on http://127.0.0.1:"))
            let url = try #require(banner.split(separator: " ").dropFirst(2).first.flatMap { URL(string: String($0)) })
            let delivery = """
                {"callback_url": "https://registry.hub.docker.com/u/acme/x/hook/1/", "push_data": {"pushed_at": 1717243200, "pusher": "dave", "tag": "v2"},
                 "repository": {"name": "x", "namespace": "acme", "repo_name": "acme/x"}}
                """
            #expect(try await ControlHTTP.send("POST", url, body: Data(delivery.utf8)).status == 200)
            let line = try await lines.next(timeout: .seconds(20))
            #expect(line == "2024-06-01T12:00:00Z  acme/x:v2  pushed by dave", "without --callback nothing is sent")
        }
    }
}
