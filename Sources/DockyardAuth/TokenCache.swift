import Foundation

/// A cache of access tokens keyed by token service, service, scope set and account, that renews tokens before
/// they expire and shares one in-flight fetch among concurrent requests for the same key.
///
/// A token is handed out while it is fresh (see ``Token/isFresh(at:)``: more than a tenth of its lifetime, at
/// most 10 seconds, left). After that, the next request fetches a new one; requests that arrive while that
/// fetch runs wait for it instead of starting their own (single flight). A failed fetch is not cached: every
/// waiter gets its error, and the next request tries again.
public actor TokenCache {
    /// What a token is cached under.
    public struct Key: Hashable, Sendable, CustomStringConvertible {
        /// The token service URL, as a string.
        public let realm: String
        /// The service name (empty when the challenge had none).
        public let service: String
        /// The scope strings, merged and sorted.
        public let scopes: [String]
        /// Who the token is for: a username, an opaque identity, or empty for anonymous.
        public let account: String

        /// Creates a key.
        ///
        /// - Parameters:
        ///   - realm: The token service URL.
        ///   - service: The service name.
        ///   - scopes: The scopes; they are merged and sorted, so order and repetition don't matter.
        ///   - account: Who the token is for; `nil` for anonymous. Never pass a secret.
        public init(realm: URL, service: String?, scopes: [Scope], account: String? = nil) {
            self.realm = realm.absoluteString
            self.service = service ?? ""
            self.scopes = Scope.merged(scopes).map(\.description)
            self.account = account ?? ""
        }

        /// The key in readable form (it holds no secret).
        public var description: String {
            "\(realm) service=\(service) scopes=[\(scopes.joined(separator: " "))] account=\(account)"
        }
    }

    private enum Entry {
        case ready(Token)
        case pending(Task<Token, any Error>, id: UInt64)
    }

    private var entries: [Key: Entry] = [:]
    private var nextID: UInt64 = 0
    /// Requests waiting on a fetch in flight, per key; lets a test release a gated fetch once every waiter queued.
    private(set) var waitingOnFetch: [Key: Int] = [:]
    /// The clock that judges freshness (the authenticator judges a token's age by it too).
    nonisolated let now: @Sendable () -> ContinuousClock.Instant

    /// Creates an empty cache.
    ///
    /// - Parameter now: The clock that judges freshness; the monotonic clock by default. Tests may move time.
    public init(now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.now = now
    }

    /// Returns a fresh cached token, or fetches one, sharing a fetch already in flight for the same key.
    ///
    /// - Parameters:
    ///   - key: What the token is for.
    ///   - fetch: Fetches a new token; called at most once at a time per key.
    /// - Returns: A fresh token.
    /// - Throws: The error of the fetch, which every request waiting on it receives.
    public func token(for key: Key, fetch: @escaping @Sendable () async throws -> Token) async throws -> Token {
        switch entries[key] {
        case .ready(let token) where token.isFresh(at: now()):
            return token
        case .pending(let task, _):
            waitingOnFetch[key, default: 0] += 1
            defer { waitingOnFetch[key, default: 1] -= 1 }
            return try await task.value
        default:
            break
        }
        nextID += 1
        let id = nextID
        let task = Task { try await fetch() }
        entries[key] = .pending(task, id: id)
        do {
            let token = try await task.value
            if case .pending(_, id)? = entries[key] { store(token, for: key) }
            return token
        } catch {
            if case .pending(_, id)? = entries[key] { entries[key] = nil }
            throw error
        }
    }

    /// The token cached under a key, fresh or not, without fetching.
    ///
    /// - Parameter key: The key.
    /// - Returns: The cached token, or `nil` when none is cached or a fetch is in flight.
    public func cachedToken(for key: Key) -> Token? {
        if case .ready(let token)? = entries[key] { return token }
        return nil
    }

    /// Stores a token under a key, replacing what was there.
    ///
    /// - Parameters:
    ///   - token: The token.
    ///   - key: The key.
    public func insert(_ token: Token, for key: Key) {
        store(token, for: key)
    }

    /// The most tokens kept; past it the ones expiring soonest are dropped. 1024.
    public static let maxEntries = 1024

    /// Stores a token after evicting expired tokens (and, past ``maxEntries``, the ones expiring soonest), so that
    /// a long-running program's cache never grows with every repository it ever touched.
    private func store(_ token: Token, for key: Key) {
        let instant = now()
        entries = entries.filter { _, entry in
            if case .ready(let cached) = entry { return cached.expiresAt > instant }
            return true
        }
        entries[key] = .ready(token)
        let ready = entries.compactMap { key, entry -> (Key, ContinuousClock.Instant)? in
            if case .ready(let cached) = entry { return (key, cached.expiresAt) }
            return nil
        }
        if ready.count > Self.maxEntries {
            for (old, _) in ready.sorted(by: { $0.1 < $1.1 }).prefix(ready.count - Self.maxEntries) where old != key {
                entries[old] = nil
            }
        }
    }

    /// Drops the token cached under a key, so that the next request fetches a new one. A fetch in flight is
    /// left alone.
    ///
    /// - Parameters:
    ///   - key: The key.
    ///   - value: When given, the token is dropped only if it is this one (another caller may already have
    ///     replaced a rejected token).
    /// - Returns: Whether a token was dropped.
    @discardableResult
    public func invalidate(_ key: Key, ifValue value: String? = nil) -> Bool {
        guard case .ready(let token)? = entries[key] else { return false }
        if let value, token.value != value { return false }
        entries[key] = nil
        return true
    }

    /// Drops every cached token.
    public func removeAll() {
        entries = entries.filter {
            if case .pending = $0.value { return true }
            return false
        }
    }

    /// How many tokens are cached (fetches in flight not counted).
    public var count: Int {
        entries.values.reduce(0) { total, entry in
            if case .ready = entry { return total + 1 }
            return total
        }
    }
}
