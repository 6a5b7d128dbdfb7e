import DockyardTransport
import DockyardTestFakes
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@Suite("RetryingTransport (scripted)")
struct RetryingTransportTests {
    static let url = URL(string: "https://registry.example.com/v2/")!
    /// Fast waits, so that tests run in milliseconds.
    static let fast = RetryPolicy(baseDelay: .milliseconds(1), maxDelay: .milliseconds(4))

    @Test("retries each retryable status, then returns the success", arguments: [408, 429, 500, 502, 503, 504])
    func retryableStatus(code: Int) async throws {
        let script = ScriptedTransport { request, index in
            index < 2
                ? .response(.init(statusCode: code), body: "{\"errors\":[]}", url: request.url)
                : .response(.ok, body: "{}", url: request.url)
        }
        let response = try await RetryingTransport(wrapping: script, policy: Self.fast).send(.init(url: Self.url))
        #expect(response.status == .ok)
        #expect(script.requests.count == 3)
        #expect(script.drained == 2, "the failed responses' bodies are drained before retrying")
    }

    @Test("other statuses are returned at once", arguments: [200, 201, 400, 401, 403, 404, 501])
    func notRetried(code: Int) async throws {
        let script = ScriptedTransport { request, _ in .response(.init(statusCode: code), url: request.url) }
        let response = try await RetryingTransport(wrapping: script, policy: Self.fast).send(.init(url: Self.url))
        #expect(response.status.code == UInt(code))
        #expect(script.requests.count == 1)
    }

    @Test("gives up after maxAttempts and returns the last response")
    func exhausts() async throws {
        let script = ScriptedTransport { request, _ in .response(.serviceUnavailable, url: request.url) }
        let response = try await RetryingTransport(wrapping: script, policy: Self.fast).send(.init(url: Self.url))
        #expect(response.status == .serviceUnavailable)
        #expect(script.requests.count == 4)
    }

    @Test("connection errors are retried; the last one is thrown")
    func connectionErrors() async throws {
        let script = ScriptedTransport { _, _ in
            throw TransportError(.connectionFailed, message: "refused")
        }
        let error = await #expect(throws: TransportError.self) {
            _ = try await RetryingTransport(wrapping: script, policy: Self.fast).send(.init(url: Self.url))
        }
        #expect(error?.code == .connectionFailed)
        #expect(script.requests.count == 4)
    }

    @Test("TLS failures and foreign errors are not retried")
    func notRetryableErrors() async throws {
        let script = ScriptedTransport { _, _ in throw TransportError(.tlsFailed, message: "untrusted") }
        await #expect(throws: TransportError.self) {
            _ = try await RetryingTransport(wrapping: script, policy: Self.fast).send(.init(url: Self.url))
        }
        #expect(script.requests.count == 1)

        struct BodySourceFailed: Error {}
        let foreign = ScriptedTransport { _, _ in throw BodySourceFailed() }
        await #expect(throws: BodySourceFailed.self) {
            _ = try await RetryingTransport(wrapping: foreign, policy: Self.fast).send(.init(url: Self.url))
        }
        #expect(foreign.requests.count == 1)
    }

    @Test("POST is not retried unless the policy says so")
    func nonIdempotent() async throws {
        let script = ScriptedTransport { request, _ in .response(.serviceUnavailable, url: request.url) }
        _ = try await RetryingTransport(wrapping: script, policy: Self.fast).send(.init(method: .POST, url: Self.url))
        #expect(script.requests.count == 1)

        var policy = Self.fast
        policy.retriesNonIdempotentRequests = true
        let again = ScriptedTransport { request, _ in .response(.serviceUnavailable, url: request.url) }
        _ = try await RetryingTransport(wrapping: again, policy: policy).send(.init(method: .POST, url: Self.url))
        #expect(again.requests.count == 4)
    }

    @Test("the body is replayed on every attempt")
    func replaysBody() async throws {
        let script = ScriptedTransport { request, index in
            .response(index == 0 ? .badGateway : .created, url: request.url)
        }
        let request = TransportRequest(method: .PUT, url: Self.url, body: .bytes(Array("manifest".utf8)))
        let response = try await RetryingTransport(wrapping: script, policy: Self.fast).send(request)
        #expect(response.status == .created)
        #expect(script.bodies == [Array("manifest".utf8), Array("manifest".utf8)])
    }

    @Test("Retry-After is honoured")
    func honoursRetryAfter() async throws {
        let script = ScriptedTransport { request, index in
            index == 0
                ? .response(.tooManyRequests, headers: ["Retry-After": "1"], url: request.url)
                : .response(.ok, url: request.url)
        }
        let start = ContinuousClock.now
        let response = try await RetryingTransport(wrapping: script, policy: Self.fast).send(.init(url: Self.url))
        #expect(response.status == .ok)
        #expect(ContinuousClock.now - start >= .seconds(1), "the backoff alone would have waited ≤ 4 ms")
    }

    @Test("a Retry-After beyond the policy's cap returns the response instead of waiting")
    func retryAfterTooLong() async throws {
        let script = ScriptedTransport { request, _ in
            .response(.tooManyRequests, headers: ["Retry-After": "3600"], url: request.url)
        }
        let start = ContinuousClock.now
        let response = try await RetryingTransport(wrapping: script, policy: Self.fast).send(.init(url: Self.url))
        #expect(response.status == .tooManyRequests)
        #expect(script.requests.count == 1)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("no retry starts past the total time budget")
    func totalTime() async throws {
        var policy = Self.fast
        policy.maxAttempts = 100
        policy.maxTotalTime = .milliseconds(300)
        let script = ScriptedTransport { request, _ in
            .response(.serviceUnavailable, headers: ["Retry-After": "0"], url: request.url)
        }
        let slow = ScriptedTransport { request, index in
            try await Task.sleep(for: .milliseconds(50))
            return try await script.send(request)
        }
        let response = try await RetryingTransport(wrapping: slow, policy: policy).send(.init(url: Self.url))
        #expect(response.status == .serviceUnavailable)
        #expect(slow.requests.count < 10)
    }

    @Test(".none sends once")
    func none() async throws {
        let script = ScriptedTransport { request, _ in .response(.serviceUnavailable, url: request.url) }
        _ = try await RetryingTransport(wrapping: script, policy: .none).send(.init(url: Self.url))
        #expect(script.requests.count == 1)
    }
}
