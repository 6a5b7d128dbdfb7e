import NIOConcurrencyHelpers

/// An endpoint family of the distribution API, for counting requests and injecting faults.
public enum RegistryRoute: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `/v2/`
    case base
    /// `/v2/_catalog`
    case catalog
    /// `/v2/<name>/tags/list`
    case tags
    /// `/v2/<name>/manifests/<reference>`
    case manifest
    /// `/v2/<name>/blobs/<digest>`
    case blob
    /// `/v2/<name>/blobs/uploads/` and `/v2/<name>/blobs/uploads/<id>`
    case upload
    /// `/v2/<name>/referrers/<digest>`
    case referrers
    /// Any other path.
    case unknown

    /// The route's name.
    public var description: String { rawValue }
}

/// Faults and counters for tests: fail requests, cut blob bodies, delay responses, count requests.
///
/// Every registry has one (``EmbeddedRegistry/hooks``); it does nothing until a test arms it. Safe to use from any
/// task while the registry serves.
public final class RegistryTestHooks: Sendable {
    private struct Failure {
        var method: String?
        var route: RegistryRoute
        var status: Int
        var remaining: Int
    }

    private struct State {
        var failures: [Failure] = []
        var cuts: [(remaining: Int, after: Int64)] = []
        var delays: [RegistryRoute: Duration] = [:]
        var counts: [String: Int] = [:]
    }

    private let state = NIOLockedValueBox(State())

    init() {}

    /// Answers the next `count` requests of `route` (and `method`, if given) with `status` and an error body,
    /// without touching content.
    /// - Parameters:
    ///   - count: How many requests fail.
    ///   - method: The HTTP method to match (`"GET"`), or nil for any.
    ///   - route: The endpoint family.
    ///   - status: The HTTP status to answer, such as 500, 503 or 429.
    public func failNext(_ count: Int, method: String? = nil, route: RegistryRoute, status: Int) {
        state.withLockedValue { $0.failures.append(Failure(method: method, route: route, status: status, remaining: count)) }
    }

    /// Cuts the body of the next `count` blob downloads after `bytes` bytes: the connection closes mid-body.
    /// - Parameters:
    ///   - bytes: How many body bytes are sent before the cut.
    ///   - count: How many downloads are cut.
    public func cutBlobs(after bytes: Int64, count: Int = 1) {
        state.withLockedValue { $0.cuts.append((count, bytes)) }
    }

    /// Delays every response of `route` by `duration` (nil removes the delay).
    /// - Parameters:
    ///   - route: The endpoint family.
    ///   - duration: The delay before the response starts.
    public func delay(_ route: RegistryRoute, by duration: Duration?) {
        state.withLockedValue { $0.delays[route] = duration }
    }

    /// How many requests of `route` (and `method`, if given) arrived since the start or the last ``reset()``.
    /// - Parameters:
    ///   - route: The endpoint family.
    ///   - method: The HTTP method, or nil for all.
    /// - Returns: The number of requests.
    public func requestCount(_ route: RegistryRoute, method: String? = nil) -> Int {
        state.withLockedValue { state in
            if let method { return state.counts["\(method) \(route)"] ?? 0 }
            return state.counts.filter { $0.key.hasSuffix(" \(route)") }.values.reduce(0, +)
        }
    }

    /// Every count, keyed `"METHOD route"` (such as `"PATCH upload"`).
    public var requestCounts: [String: Int] { state.withLockedValue { $0.counts } }

    /// Disarms every fault and zeroes the counters.
    public func reset() {
        state.withLockedValue { $0 = State() }
    }

    // MARK: Used by the server

    func record(method: String, route: RegistryRoute) -> (failure: Int?, delay: Duration?) {
        state.withLockedValue { state in
            state.counts["\(method) \(route)", default: 0] += 1
            var failure: Int?
            if let index = state.failures.firstIndex(where: { $0.route == route && ($0.method == nil || $0.method == method) && $0.remaining > 0 }) {
                failure = state.failures[index].status
                state.failures[index].remaining -= 1
                if state.failures[index].remaining == 0 { state.failures.remove(at: index) }
            }
            return (failure, state.delays[route])
        }
    }

    func takeCut() -> Int64? {
        state.withLockedValue { state in
            guard !state.cuts.isEmpty else { return nil }
            let after = state.cuts[0].after
            state.cuts[0].remaining -= 1
            if state.cuts[0].remaining <= 0 { state.cuts.removeFirst() }
            return after
        }
    }
}
