@testable import Dockyard
import DockyardTestFakes
import Foundation
import NIOHTTP1
import Testing

/// Issue 8: every request that is not a blob transfer has an overall deadline, one setting for all of them
/// (`RegistryClient.Configuration.timeout.deadline`); blob transfers keep idle timeouts only. These tests check
/// which requests carry a deadline; `HostileRegistryTests.stalledRequestsTimeOut` checks against a real stalling
/// server that the deadline ends the request with a typed timeout.
@Suite("Request deadlines")
struct RequestDeadlineTests {
    static let registry = "registry.test"

    static func client(deadline: Duration? = nil, transport: StubTransport) throws -> RegistryClient {
        var configuration = RegistryClient.Configuration()
        configuration.endpoints[registry] = URL(string: "https://\(registry)")
        configuration.retry = .init(maxAttempts: 1)
        if let deadline { configuration.timeout.deadline = deadline }
        return try RegistryClient(configuration: configuration, credentials: StaticCredentials([:]), transport: transport)
    }

    @Test("The default deadline is 2 minutes, for the configuration, ping/login and token requests alike")
    func defaults() {
        let configuration = RegistryClient.Configuration()
        #expect(configuration.timeout.deadline == .seconds(120))
        #expect(TransportDefaults.requestDeadline == .seconds(120))
        #expect(RegistryClient.loginDeadline == TransportDefaults.requestDeadline)
        #expect(configuration.authenticatorConfiguration.tokenService.timeout == configuration.timeout.deadline)
        var changed = configuration
        changed.timeout.deadline = .seconds(7)
        #expect(changed.authenticatorConfiguration.tokenService.timeout == .seconds(7))
    }

    @Test("A deadline of zero or less is an invalid configuration", arguments: [Duration.zero, .seconds(-1)])
    func invalidDeadline(deadline: Duration) {
        var configuration = RegistryClient.Configuration()
        configuration.timeout.deadline = deadline
        #expect(throws: RegistryError.self) { try configuration.validate() }
    }

    @Test("Manifest, tags, catalog, referrers and ping requests carry the configured deadline")
    func metadataRequestsHaveDeadlines() async throws {
        let transport = StubTransport { _ in (.notFound, "{}") }
        let client = try Self.client(deadline: .seconds(5), transport: transport)
        let reference = try ImageReference(parsing: "\(Self.registry)/team/app:v1")
        let before = ContinuousClock.now
        _ = try? await client.manifest(for: reference)
        _ = try? await client.manifestDescriptor(for: reference)
        _ = try? await client.tags(in: reference.repository).collect()
        _ = try? await client.catalog(registry: Self.registry).collect()
        _ = try? await client.referrers(of: ContentDigest.sha256(of: Array("x".utf8)), in: reference.repository).collect()
        _ = try? await client.ping(registry: Self.registry)
        let sent = transport.sent
        #expect(sent.count >= 6, "\(sent.map(\.url))")
        for request in sent {
            let deadline = try #require(request.deadline, "\(request.method) \(request.url) has no deadline")
            // The deadline is the configured 5 s from when the request was made, not the 2-minute default.
            #expect(deadline > before)
            #expect(deadline <= ContinuousClock.now + .seconds(5), "\(request.url)")
        }
    }

    @Test("A blob download has no overall deadline (idle timeouts bound it); a blob HEAD has one")
    func blobTransfersHaveNone() async throws {
        let bytes = Array("hostile".utf8)
        let transport = StubTransport { request in
            request.method == .HEAD ? (.notFound, "") : (.ok, String(decoding: bytes, as: UTF8.self))
        }
        let client = try Self.client(transport: transport)
        let repository = try Repository(parsing: "\(Self.registry)/team/app")
        let blobs = try client.blobClient(for: repository)
        let digest = ContentDigest.sha256(of: bytes)
        #expect(try await blobs.exists(digest) == nil)
        for try await _ in blobs.stream(digest, size: Int64(bytes.count)) {}
        let heads = transport.sent.filter { $0.method == .HEAD }
        let gets = transport.sent.filter { $0.method == .GET }
        #expect(!heads.isEmpty && !gets.isEmpty)
        #expect(heads.allSatisfy { $0.deadline != nil })
        #expect(gets.allSatisfy { $0.deadline == nil }, "\(gets.map(\.url))")
    }

    @Test("bounded(by:) keeps an earlier deadline, replaces a later one, and never overflows")
    func bounded() {
        let url = URL(fileURLWithPath: "/")
        let soon = ContinuousClock.now + .seconds(1)
        #expect(TransportRequest(url: url, deadline: soon).bounded(by: .seconds(60)).deadline == soon)
        let late = ContinuousClock.now + .seconds(3_600)
        let tightened = TransportRequest(url: url, deadline: late).bounded(by: .seconds(60)).deadline
        #expect(tightened.map { $0 < late } == true)
        #expect(TransportRequest(url: url).bounded(by: .seconds(60)).deadline != nil)
        // A caller's absurd duration is capped at a century instead of overflowing the clock.
        let far = TransportRequest(url: url).bounded(by: .seconds(Int64.max)).deadline
        #expect(far.map { $0 <= ContinuousClock.now + TransportDefaults.longestDeadline } == true)
        let negative = TransportRequest(url: url).bounded(by: .seconds(-5)).deadline
        #expect(negative.map { $0 <= ContinuousClock.now } == true)
    }
}
