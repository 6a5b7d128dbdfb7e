/// Waits for a condition that another task or process makes true, failing when a deadline passes first.
///
/// Use it instead of a fixed sleep ("give it 200 ms") or a loop that gives up quietly: the deadline is generous
/// (it only bounds a hang), and passing it throws, so a test cannot pass because something did *not* happen in time.
public enum Waiting {
    /// The condition was still false at the deadline.
    public struct TimedOut: Error, CustomStringConvertible {
        /// What was awaited.
        public var what: String
        /// The last state seen, when the caller described it.
        public var lastSeen: String

        /// What was awaited and what was seen.
        public var description: String {
            "timed out waiting for \(what)" + (lastSeen.isEmpty ? "" : "; last seen: \(lastSeen)")
        }
    }

    /// Polls `condition` until it is true.
    ///
    /// - Parameters:
    ///   - what: What is awaited, for the error, e.g. `"49 requests queued on the fetch"`.
    ///   - timeout: How long to wait at most; long, since it only bounds a hang.
    ///   - condition: Returns whether the awaited state is reached, and a description of what it saw.
    /// - Throws: ``TimedOut`` when the deadline passes first, or what `condition` throws.
    public static func until(
        _ what: String, timeout: Duration = .seconds(30),
        _ condition: () async throws -> (done: Bool, seen: String)
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (done, seen) = try await condition()
            if done { return }
            guard ContinuousClock.now < deadline else { throw TimedOut(what: what, lastSeen: seen) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Polls `condition` until it is true.
    ///
    /// - Parameters:
    ///   - what: What is awaited, for the error.
    ///   - timeout: How long to wait at most.
    ///   - condition: Whether the awaited state is reached.
    /// - Throws: ``TimedOut`` when the deadline passes first, or what `condition` throws.
    public static func until(
        _ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
    ) async throws {
        try await until(what, timeout: timeout) { (try await condition(), "") }
    }
}
