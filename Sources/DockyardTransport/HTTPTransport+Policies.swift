import Logging

extension HTTPTransport {
    /// This transport wrapped in a ``RetryingTransport``.
    ///
    /// - Parameters:
    ///   - policy: When and how often to retry.
    ///   - logger: Where retries are logged; discards by default.
    /// - Returns: The wrapping transport.
    public func retrying(
        _ policy: RetryPolicy = .default,
        logger: Logger = TransportDefaults.silentLogger
    ) -> RetryingTransport {
        RetryingTransport(wrapping: self, policy: policy, logger: logger)
    }

    /// This transport wrapped in a ``RedirectingTransport``.
    ///
    /// Put redirects outside retries (`base.retrying().followingRedirects()`), so that each hop is retried on
    /// its own and a retry never re-enters a redirect chain from its start.
    ///
    /// - Parameters:
    ///   - policy: How many redirects to follow.
    ///   - logger: Where hops are logged; discards by default.
    /// - Returns: The wrapping transport.
    public func followingRedirects(
        _ policy: RedirectPolicy = .default,
        logger: Logger = TransportDefaults.silentLogger
    ) -> RedirectingTransport {
        RedirectingTransport(wrapping: self, policy: policy, logger: logger)
    }
}
