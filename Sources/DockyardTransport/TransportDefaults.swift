import Logging

/// Defaults shared by every transport and client of the SDK, whichever HTTP implementation sends the bytes.
public enum TransportDefaults {
    /// The `User-Agent` Dockyard sends by default.
    public static let userAgent = "dockyard/0.1 (swift)"

    /// A logger labelled `dockyard.transport` that discards every message; the default of every `logger:`
    /// parameter of the transport layer.
    public static var silentLogger: Logger {
        Logger(label: "dockyard.transport", factory: { _ in SwiftLogNoOpLogHandler() })
    }

    /// The default overall deadline of every request that is not a blob transfer: 2 minutes.
    ///
    /// Manifest reads and writes, tag and catalog pages, referrers, `ping`, `login` and token requests must
    /// finish within it, every redirect, retry and byte of the response body included; a server that accepts the
    /// connection and never answers, or answers the head and stalls the body, ends in a ``TransportError`` with
    /// code ``TransportError/Code/timedOut``. Blob transfers have no overall deadline (their length depends on
    /// their size): the transport's idle read timeout catches a stalled one.
    ///
    /// `RegistryClient` takes its deadline from its configuration's `timeout.deadline`, which starts at this
    /// value; every request is bounded through ``TransportRequest/bounded(by:)``.
    public static let requestDeadline: Duration = .seconds(120)

    /// The longest deadline an instant is computed for: a century. Longer durations count as a century, so that
    /// adding a caller's duration to the clock can never overflow.
    public static let longestDeadline: Duration = .seconds(100 * 365 * 86_400)

    /// The instant `duration` from now.
    ///
    /// - Parameter duration: How long from now; negative counts as zero, more than ``longestDeadline`` as
    ///   ``longestDeadline``.
    /// - Returns: The instant, computed without overflow.
    public static func deadline(after duration: Duration) -> ContinuousClock.Instant {
        .now + min(max(duration, .zero), longestDeadline)
    }
}

extension TransportRequest {
    /// The request with a deadline at most `duration` from now: its own deadline when that is earlier.
    ///
    /// This is how every client of the SDK gives a request that is not a blob transfer its overall deadline
    /// (see ``TransportDefaults/requestDeadline``). Redirects and retries keep the request's deadline, so it
    /// bounds all of them together, response body included.
    ///
    /// - Parameter duration: The longest the exchange may take from now.
    /// - Returns: A copy with the earlier of the two deadlines.
    public func bounded(by duration: Duration) -> TransportRequest {
        var copy = self
        let limit = TransportDefaults.deadline(after: duration)
        if let current = deadline, current <= limit { return copy }
        copy.deadline = limit
        return copy
    }
}
