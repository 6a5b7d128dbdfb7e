import DockyardTestSupport
import DockyardTransport
import Testing

@Suite("RetryPolicy")
struct RetryPolicyTests {
    @Test("default values")
    func defaults() {
        let policy = RetryPolicy.default
        #expect(policy.maxAttempts == 4)
        #expect(policy.baseDelay == .milliseconds(250))
        #expect(policy.maxDelay == .seconds(8))
        #expect(policy.maxTotalTime == .seconds(60))
        #expect(policy.retryableStatuses == [408, 429, 500, 502, 503, 504])
        #expect(!policy.retriesNonIdempotentRequests)
        #expect(RetryPolicy.none.maxAttempts == 1)
    }

    @Test("the ceiling doubles from the base and stops at maxDelay", arguments: [
        (1, Duration.milliseconds(250)),
        (2, .milliseconds(500)),
        (3, .seconds(1)),
        (4, .seconds(2)),
        (6, .seconds(8)),
        (7, .seconds(8)),
        (200, .seconds(8)),
    ])
    func ceiling(retry: Int, expected: Duration) {
        #expect(RetryPolicy.default.backoffCeiling(beforeRetry: retry) == expected)
    }

    @Test("full jitter stays within [0, ceiling] and actually varies")
    func jitterBounds() {
        var generator = SeededGenerator(state: 42)
        let policy = RetryPolicy.default
        for retry in 1...8 {
            let ceiling = policy.backoffCeiling(beforeRetry: retry)
            var seen: Set<Duration> = []
            for _ in 0..<200 {
                let wait = policy.backoff(beforeRetry: retry, using: &generator)
                #expect(wait >= .zero && wait <= ceiling)
                seen.insert(wait)
            }
            #expect(seen.count > 100, "jitter should spread waits, got \(seen.count) distinct values")
            // Full jitter: waits spread over the whole range, not only near the ceiling ("equal jitter" would
            // never go below half of it).
            let lowerHalf = seen.filter { $0 < ceiling / 2 }.count
            #expect(lowerHalf > 50 && lowerHalf < 150, "\(lowerHalf) of \(seen.count) waits below half the ceiling")
        }
    }

    @Test("long configured delays and many retries stop at maxDelay instead of overflowing", arguments: [
        RetryPolicy(maxAttempts: 200, baseDelay: .seconds(60), maxDelay: .seconds(600)),
        RetryPolicy(maxAttempts: 200, baseDelay: .seconds(3600), maxDelay: .seconds(Int64.max)),
        RetryPolicy(maxAttempts: 200, baseDelay: .seconds(Int64.max), maxDelay: .seconds(Int64.max)),
    ])
    func noOverflow(policy: RetryPolicy) {
        #expect(policy.backoffCeiling(beforeRetry: 1) == policy.baseDelay)
        for retry in [63, 64, 100, 199, Int.max] {
            let ceiling = policy.backoffCeiling(beforeRetry: retry)
            #expect(ceiling <= policy.maxDelay)
            #expect(ceiling > policy.baseDelay || policy.baseDelay == policy.maxDelay)
            #expect(policy.backoff(beforeRetry: retry) <= ceiling)
        }
    }

    @Test("a negative delay means no wait")
    func negativeDelays() {
        #expect(RetryPolicy(baseDelay: .seconds(-1)).backoffCeiling(beforeRetry: 5) == .zero)
        #expect(RetryPolicy(maxDelay: .seconds(-1)).backoff(beforeRetry: 5) == .zero)
    }

    @Test("a zero base means no wait")
    func zeroBase() {
        let policy = RetryPolicy(baseDelay: .zero)
        #expect(policy.backoff(beforeRetry: 3) == .zero)
    }
}
