/// When and how often ``RetryingTransport`` sends a request again.
///
/// A request is retried when it failed with a connection error or timeout, or was answered with one of
/// ``retryableStatuses`` (408, 429, 500, 502, 503, 504 by default), as long as it is idempotent (RFC 9110
/// §9.2.2) or ``retriesNonIdempotentRequests`` is set. Waits grow exponentially with full jitter: before retry
/// `n` (from 1) the transport sleeps a random time between zero and `min(maxDelay, baseDelay × 2ⁿ⁻¹)`. A
/// `Retry-After` header replaces that wait when it is no longer than ``maxRetryAfter``; a longer one ends the
/// retries. No retry starts once ``maxTotalTime`` would be exceeded.
public struct RetryPolicy: Sendable, Hashable {
    /// The most attempts in total, the first one included; `1` means no retry.
    public var maxAttempts: Int
    /// The upper bound of the first wait.
    public var baseDelay: Duration
    /// The upper bound of any single backoff wait.
    public var maxDelay: Duration
    /// The longest a request may take, every attempt and wait included, before no further retry starts.
    public var maxTotalTime: Duration
    /// The longest `Retry-After` honoured; a server asking for more gets its response returned instead.
    public var maxRetryAfter: Duration
    /// The status codes that cause a retry.
    public var retryableStatuses: Set<UInt>
    /// Whether requests that are not idempotent (`POST`, `PATCH`) are retried as well.
    ///
    /// Leave it `false` unless a repeated request is harmless for the server at hand.
    public var retriesNonIdempotentRequests: Bool

    /// Creates a policy.
    ///
    /// - Parameters:
    ///   - maxAttempts: The most attempts in total, the first one included.
    ///   - baseDelay: The upper bound of the first backoff wait.
    ///   - maxDelay: The upper bound of any backoff wait.
    ///   - maxTotalTime: The time after which no retry starts.
    ///   - maxRetryAfter: The longest `Retry-After` honoured.
    ///   - retryableStatuses: The status codes that cause a retry.
    ///   - retriesNonIdempotentRequests: Whether non-idempotent requests are retried too.
    public init(
        maxAttempts: Int = 4,
        baseDelay: Duration = .milliseconds(250),
        maxDelay: Duration = .seconds(8),
        maxTotalTime: Duration = .seconds(60),
        maxRetryAfter: Duration = .seconds(60),
        retryableStatuses: Set<UInt> = RetryPolicy.defaultRetryableStatuses,
        retriesNonIdempotentRequests: Bool = false
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxTotalTime = maxTotalTime
        self.maxRetryAfter = maxRetryAfter
        self.retryableStatuses = retryableStatuses
        self.retriesNonIdempotentRequests = retriesNonIdempotentRequests
    }

    /// 408, 429, 500, 502, 503 and 504.
    public static let defaultRetryableStatuses: Set<UInt> = [408, 429, 500, 502, 503, 504]

    /// Four attempts, waits of up to 0.25 s, 0.5 s, 1 s (at most 8 s each), at most 60 s in total.
    public static let `default` = RetryPolicy()

    /// A single attempt: nothing is retried.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The upper bound of the backoff wait before a retry: `min(maxDelay, baseDelay × 2^(retry − 1))`.
    ///
    /// - Parameter retry: The retry's number, from 1 (the second attempt).
    /// - Returns: The longest the wait may be.
    public func backoffCeiling(beforeRetry retry: Int) -> Duration {
        guard baseDelay > .zero, maxDelay > .zero else { return .zero }
        let exponent = min(max(retry - 1, 0), 62)
        // Compare in floating point first: `Duration * Double` traps when the product leaves Duration's range,
        // which a long base delay and a high retry count (both from configuration) would reach.
        let factor = Double(UInt64(1) << exponent)
        guard baseDelay / .seconds(1) * factor < maxDelay / .seconds(1) else { return maxDelay }
        return baseDelay * factor
    }

    /// The backoff wait before a retry, with full jitter: uniformly random in `0...backoffCeiling(beforeRetry:)`.
    ///
    /// - Parameters:
    ///   - retry: The retry's number, from 1.
    ///   - generator: The source of randomness.
    /// - Returns: The wait.
    public func backoff(beforeRetry retry: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = backoffCeiling(beforeRetry: retry)
        guard ceiling > .zero else { return .zero }
        let fraction = Double.random(in: 0...1, using: &generator)
        return ceiling * fraction
    }

    /// The backoff wait before a retry, with full jitter from the system's random generator.
    ///
    /// - Parameter retry: The retry's number, from 1.
    /// - Returns: The wait.
    public func backoff(beforeRetry retry: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return backoff(beforeRetry: retry, using: &generator)
    }
}
