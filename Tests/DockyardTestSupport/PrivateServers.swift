import Foundation
import Testing

extension LocalHub {
    /// Starts fault proxies of this test's own in front of this hub's `open` and `token` registries, runs `body`
    /// with a hub whose ``fault`` and ``faultToken`` are those proxies, and stops them.
    ///
    /// A proxy's scenario applies to every request through it, and its log and counters are global, so a test that
    /// sets a scenario or reads the log needs a proxy nobody else uses. Starting one takes about a second; the
    /// registries behind it stay shared (tests keep to their own repositories).
    ///
    /// - Parameter body: The test's work; it receives the hub with the private proxies.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws, or ``ProcessFailure`` when the proxies do not start.
    public func withPrivateFaultProxies<T>(_ body: (LocalHub) async throws -> T) async throws -> T {
        let options = LaunchOptions(
            usersFile: usersFile, components: ["fault", "fault-token"],
            upstreams: ["open": open.url, "token": token.url], base: self)
        return try await LocalHub.launch(options) { hub in
            try await LocalHub.$scoped.withValue(hub) { try await body(hub) }
        }
    }
}

extension FaultProxy {
    /// Starts a fault proxy of the test's own in front of `upstream` (any registry: the embedded one, say), runs
    /// `body` with it, and stops it.
    ///
    /// - Parameters:
    ///   - upstream: The registry's base URL, `http://HOST:PORT`.
    ///   - tls: Whether the proxy also listens with TLS (``tlsURL``, trusted through ``tlsCA``).
    ///   - body: The test's work; it receives the proxy.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws, ``ServiceUnavailable`` without localhub, or ``ProcessFailure`` when the
    ///   proxy does not start.
    public static func launch<T>(
        inFrontOf upstream: URL, tls: Bool = false, _ body: (FaultProxy) async throws -> T
    ) async throws -> T {
        let base = try LocalHub.required()
        var options = LocalHub.LaunchOptions(
            usersFile: base.usersFile, components: ["fault"], upstreams: ["open": upstream], base: base)
        options.faultTLS = tls
        return try await LocalHub.launch(options) { hub in try await body(hub.fault) }
    }
}

/// Gives every test it applies to fault proxies of its own (see ``LocalHub/withPrivateFaultProxies(_:)``):
/// inside the test, `LocalHub.required().fault` and `.faultToken` are the private proxies.
public struct PrivateFaultProxiesTrait: TestTrait, SuiteTrait, TestScoping {
    /// Applies to every test of a suite, each with its own proxies.
    public var isRecursive: Bool { true }

    /// Scopes each test case: a suite does not need proxies of its own.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        test.isSuite || testCase == nil ? nil : self
    }

    /// Starts the proxies, runs the test, stops them.
    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard let hub = LocalHub.current else {
            // No servers: let the test run so that its own `LocalHub.required()` reports why.
            try await function()
            return
        }
        try await hub.withPrivateFaultProxies { _ in try await function() }
    }
}

/// Gives a suite (or a test) localhub servers of its own, with its own settings, for all its tests together.
///
/// Only the listed components are started; the others stay the shared ones. Inside, `LocalHub.required()`
/// returns the combination.
public struct PrivateLocalHubTrait: TestTrait, SuiteTrait, TestScoping {
    /// The private servers' settings.
    public var options: LocalHub.LaunchOptions

    /// Scopes the suite (or test) it is attached to, once.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        test.isSuite || testCase != nil ? self : nil
    }

    /// Starts the servers, runs the suite or test, stops them.
    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard LocalHub.current != nil else {
            try await function()
            return
        }
        try await LocalHub.launch(options) { hub in
            try await LocalHub.$scoped.withValue(hub) { try await function() }
        }
    }
}

extension Trait where Self == PrivateFaultProxiesTrait {
    /// Each test gets fault proxies of its own in front of the shared `open` and `token` registries, so it may set
    /// scenarios and read the proxy log while other tests run in parallel.
    public static var privateFaultProxies: Self { PrivateFaultProxiesTrait() }
}

extension Trait where Self == PrivateLocalHubTrait {
    /// The suite (or test) gets localhub servers of its own with these settings, e.g. a token lifetime of a few
    /// seconds: `.privateLocalHub(.init(tokenLifetime: 3, exactExpiry: true, components: ["token"]))`.
    ///
    /// - Parameter options: The servers' settings; `components` should name only what the settings concern.
    /// - Returns: The trait.
    public static func privateLocalHub(_ options: LocalHub.LaunchOptions) -> Self {
        PrivateLocalHubTrait(options: options)
    }
}
