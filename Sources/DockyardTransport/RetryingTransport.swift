import Logging
import NIOHTTP1

/// A transport that sends a request again after a connection failure or a transient status, following a
/// ``RetryPolicy``.
///
/// Each attempt goes to the wrapped transport with a fresh body from ``RequestBody/makeStream``. Before a
/// retry, the failed response's body is read to its end (up to 1 MiB) so that its connection can be reused,
/// and the transport waits: the `Retry-After` the server asked for, or an exponential backoff with full
/// jitter. When the policy allows no further attempt, the last response is returned as it is (so that the
/// caller can decode its error body) or the last error is thrown.
///
/// Errors raised while a caller reads a response body are not retried here: the body belongs to the caller
/// by then (a blob download resumes with `Range` instead).
public struct RetryingTransport: HTTPTransport {
    /// The transport each attempt is sent through.
    public let base: any HTTPTransport
    /// When and how often to retry.
    public let policy: RetryPolicy
    private let logger: Logger

    /// Wraps a transport with a retry policy.
    ///
    /// - Parameters:
    ///   - base: The transport each attempt is sent through.
    ///   - policy: When and how often to retry; ``RetryPolicy/default`` unless given.
    ///   - logger: Where retries are logged at `debug` level; discards by default.
    public init(
        wrapping base: any HTTPTransport,
        policy: RetryPolicy = .default,
        logger: Logger = TransportDefaults.silentLogger
    ) {
        self.base = base
        self.policy = policy
        self.logger = logger
    }

    /// Sends the request, retrying it as the policy allows.
    ///
    /// - Parameter request: The request.
    /// - Returns: The first response that is not retried.
    /// - Throws: The last attempt's error when no attempt produced a response; `CancellationError` when the
    ///   task is cancelled during a wait.
    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        let clock = ContinuousClock()
        let start = clock.now
        let eligible = request.isIdempotent || policy.retriesNonIdempotentRequests
        var attempt = 1

        while true {
            let outcome: Result<TransportResponse, any Error>
            do {
                outcome = .success(try await base.send(request))
            } catch {
                outcome = .failure(error)
            }
            guard eligible, attempt < policy.maxAttempts else { return try outcome.get() }

            let wait: Duration
            let reason: String
            switch outcome {
            case .success(let response):
                guard policy.retryableStatuses.contains(response.status.code) else { return response }
                if let header = response.headers.first(name: "Retry-After"),
                    let asked = RetryAfter.parse(header)
                {
                    guard asked <= policy.maxRetryAfter else { return response }
                    wait = asked
                } else {
                    wait = policy.backoff(beforeRetry: attempt)
                }
                guard fits(wait, start: start, clock: clock, deadline: request.deadline) else { return response }
                await response.body.discard()
                reason = "status \(response.status.code)"
            case .failure(let error):
                guard let transportError = error as? TransportError, transportError.isRetryable else {
                    throw error
                }
                wait = policy.backoff(beforeRetry: attempt)
                guard fits(wait, start: start, clock: clock, deadline: request.deadline) else { throw error }
                reason = transportError.code.description
            }

            logger.debug(
                "retrying",
                metadata: [
                    "method": "\(request.method.rawValue)",
                    "url": "\(request.url.loggableDescription)",
                    "attempt": "\(attempt + 1)",
                    "reason": "\(reason)",
                    "wait": "\(wait)",
                ]
            )
            try await Task.sleep(for: wait)
            attempt += 1
        }
    }

    /// Whether a wait still leaves room for another attempt within the policy's total time and the deadline.
    private func fits(
        _ wait: Duration,
        start: ContinuousClock.Instant,
        clock: ContinuousClock,
        deadline: ContinuousClock.Instant?
    ) -> Bool {
        let resume = clock.now + wait
        if start.duration(to: resume) > policy.maxTotalTime { return false }
        if let deadline, resume >= deadline { return false }
        return true
    }
}
