@testable import DockyardAuth
import DockyardTestSupport
import Foundation
import Testing

/// Counts fetches and hands out numbered tokens; the unit-test stand-in for a token service.
actor CountingFetcher {
    private(set) var fetches = 0
    let lifetime: Duration
    let delay: Duration
    let failures: Int

    init(lifetime: Duration = .seconds(60), delay: Duration = .zero, failures: Int = 0) {
        self.lifetime = lifetime
        self.delay = delay
        self.failures = failures
    }

    func fetch(now: ContinuousClock.Instant) async throws -> Token {
        fetches += 1
        let number = fetches
        if delay > .zero { try await Task.sleep(for: delay) }
        if number <= failures { throw AuthError(.tokenServiceFailed, message: "fetch \(number) failed") }
        return Token(value: "token-\(number)", lifetime: lifetime, expiresAt: now + lifetime)
    }
}

/// A token service stand-in whose fetches wait at a gate until the test opens it; fetches after that do not wait.
///
/// Every fetch that waits is released by ``open()``, not only the first: when a broken cache starts more than one
/// fetch, the test opens the gate, its check fails, and it ends instead of hanging on a fetch nobody releases.
actor GatedFetcher {
    private(set) var fetches = 0
    private var isOpen = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    let failFirst: Bool

    init(failFirst: Bool = false) { self.failFirst = failFirst }

    func fetch() async throws -> Token {
        fetches += 1
        let number = fetches
        if !isOpen { await withCheckedContinuation { waiting.append($0) } }
        if failFirst && number == 1 { throw AuthError(.tokenServiceFailed, message: "fetch \(number) failed") }
        return Token(value: "token-\(number)", lifetime: .seconds(60), expiresAt: .now + .seconds(60))
    }

    func open() {
        isOpen = true
        for continuation in waiting { continuation.resume() }
        waiting = []
    }

    /// Waits until `condition` holds for the fetch count and the cache's queue, then opens the gate. The gate is
    /// opened also when the wait times out, so that every fetch ends and the timeout reaches the test as its failure.
    nonisolated func openWhen(
        _ what: String, cache: TokenCache, key: TokenCache.Key, _ condition: @escaping @Sendable (Int, Int) -> Bool
    ) async throws {
        do {
            try await Waiting.until(what) {
                let fetches = await self.fetches
                let queued = await cache.waitingOnFetch[key] ?? 0
                return (condition(fetches, queued), "\(fetches) fetches, \(queued) queued")
            }
        } catch {
            await open()
            throw error
        }
        await open()
    }
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let base = ContinuousClock.now
    private let offset = Mutex(Duration.zero)

    var now: ContinuousClock.Instant { base + offset.withLock { $0 } }
    func advance(by duration: Duration) { offset.withLock { $0 += duration } }
}

import Synchronization

@Suite("TokenCache")
struct TokenCacheTests {
    let key = TokenCache.Key(
        realm: URL(string: "https://auth.example/token")!, service: "registry.example",
        scopes: [.repository("a/b", actions: [.pull])])

    @Test func keyIgnoresScopeOrderAndRepetition() {
        let realm = URL(string: "https://auth.example/token")!
        let one = TokenCache.Key(
            realm: realm, service: "s", scopes: [.repository("b", actions: [.push]), .repository("a", actions: [.pull]), .repository("b", actions: [.pull])])
        let two = TokenCache.Key(realm: realm, service: "s", scopes: [.repository("a", actions: [.pull]), .repository("b", actions: [.pull, .push])])
        #expect(one == two)
        #expect(one.scopes == ["repository:a:pull", "repository:b:pull,push"])
        #expect(one != TokenCache.Key(realm: realm, service: "s", scopes: [.repository("a", actions: [.pull])], account: "alice"))
    }

    @Test func reusesAFreshTokenAndRenewsBeforeExpiry() async throws {
        let clock = ManualClock()
        let cache = TokenCache(now: { clock.now })
        let fetcher = CountingFetcher(lifetime: .seconds(100))
        let fetch: @Sendable () async throws -> Token = { try await fetcher.fetch(now: clock.now) }

        #expect(try await cache.token(for: key, fetch: fetch).value == "token-1")
        clock.advance(by: .seconds(80))
        #expect(try await cache.token(for: key, fetch: fetch).value == "token-1")
        // 100 s lifetime → 10 s margin: at 91 s the token is due for renewal although not yet expired.
        clock.advance(by: .seconds(11))
        #expect(try await cache.token(for: key, fetch: fetch).value == "token-2")
        #expect(await fetcher.fetches == 2)
    }

    @Test func marginIsATenthOfLifetimeCappedAtTenSeconds() {
        let now = ContinuousClock.now
        let short = Token(value: "s", lifetime: .seconds(2), expiresAt: now + .seconds(2))
        #expect(short.renewalMargin == .milliseconds(200))
        #expect(short.isFresh(at: now + .milliseconds(1700)))
        #expect(!short.isFresh(at: now + .milliseconds(1850)))
        let long = Token(value: "SECRET-VALUE", lifetime: .seconds(3600), expiresAt: now + .seconds(3600))
        #expect(long.renewalMargin == .seconds(10))
        #expect(!"\(long)".contains("SECRET-VALUE"))
        #expect("\(long)".hasPrefix("Token(expires in"))
        let refreshing = Token(
            value: "SECRET-VALUE", lifetime: .seconds(60), expiresAt: now + .seconds(60), refreshToken: "SECRET-REFRESH")
        var dumped = ""
        dump(refreshing, to: &dumped)
        #expect(dumped.contains("refresh token: yes"), "\(dumped)")
        #expect(!dumped.contains("SECRET-"), "\(dumped)")
        #expect(!String(reflecting: refreshing).contains("SECRET-"))
    }

    /// Deterministic: the fetch is held at a gate until the other 49 requests are queued on it, so every one of
    /// them really arrived while the fetch was in flight. A cache that fetches once per request fails the wait
    /// ("50 fetches, 49 queued") after its deadline; the time limit only bounds a hang.
    @Test(.timeLimit(.minutes(2))) func concurrentRequestsShareOneFetch() async throws {
        let cache = TokenCache()
        let fetcher = GatedFetcher()
        let key = self.key
        let values = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<50 {
                group.addTask { try await cache.token(for: key) { try await fetcher.fetch() }.value }
            }
            try await fetcher.openWhen("one fetch started and 49 requests queued on it", cache: cache, key: key) { fetches, queued in
                fetches == 1 && queued == 49
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(values.count == 50)
        #expect(Set(values) == ["token-1"])
        #expect(await fetcher.fetches == 1)
        #expect(await cache.waitingOnFetch[key] == 0)
    }

    @Test func differentKeysFetchSeparately() async throws {
        let cache = TokenCache()
        let fetcher = CountingFetcher()
        let other = TokenCache.Key(realm: URL(string: "https://auth.example/token")!, service: "registry.example", scopes: [.repository("a/b", actions: [.pull, .push])])
        _ = try await cache.token(for: key) { try await fetcher.fetch(now: .now) }
        _ = try await cache.token(for: other) { try await fetcher.fetch(now: .now) }
        #expect(await fetcher.fetches == 2)
        #expect(await cache.count == 2)
    }

    @Test(.timeLimit(.minutes(2))) func failedFetchReachesEveryWaiterAndIsNotCached() async throws {
        let cache = TokenCache()
        let fetcher = GatedFetcher(failFirst: true)
        let key = self.key
        let codes = try await withThrowingTaskGroup(of: AuthError.Code?.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    do {
                        _ = try await cache.token(for: key) { try await fetcher.fetch() }
                        return nil
                    } catch let error as AuthError {
                        return error.code
                    }
                }
            }
            try await fetcher.openWhen("one fetch started and 9 requests queued on it", cache: cache, key: key) { fetches, queued in
                fetches == 1 && queued == 9
            }
            return try await group.reduce(into: [AuthError.Code?]()) { $0.append($1) }
        }
        // Every waiter gets the fetch's own error, not a success and not another error.
        #expect(codes == Array(repeating: .tokenServiceFailed, count: 10))
        #expect(await fetcher.fetches == 1)
        #expect(try await cache.token(for: key) { try await fetcher.fetch() }.value == "token-2")
    }

    @Test func invalidateOnlyDropsTheNamedToken() async throws {
        let cache = TokenCache()
        let fetcher = CountingFetcher()
        _ = try await cache.token(for: key) { try await fetcher.fetch(now: .now) }
        #expect(await cache.invalidate(key, ifValue: "some-other-token") == false)
        #expect(await cache.cachedToken(for: key)?.value == "token-1")
        #expect(await cache.invalidate(key, ifValue: "token-1"))
        #expect(try await cache.token(for: key) { try await fetcher.fetch(now: .now) }.value == "token-2")
        await cache.removeAll()
        #expect(await cache.count == 0)
    }
}
