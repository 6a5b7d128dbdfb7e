extension TransportError {
    /// Whether a retry of the same request may succeed: the connection broke or a timeout passed.
    public var isRetryable: Bool {
        code == .connectionFailed || code == .timedOut
    }
}
