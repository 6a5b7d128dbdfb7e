import DockyardTransport

/// Fails every request the way a transport does when no answer comes (a timeout naming the URL it tried), or
/// with the error given.
public struct FailingTransport: HTTPTransport {
    private let error: @Sendable (TransportRequest) -> any Error

    /// A transport whose every request times out.
    public init() {
        self.error = { request in
            TransportError(.timedOut, message: "the request to \(request.url.loggableDescription) did not finish before its deadline")
        }
    }

    /// A transport whose every request throws the error `make` returns for it.
    ///
    /// - Parameter make: The error for a request.
    public init(_ make: @escaping @Sendable (TransportRequest) -> any Error) { self.error = make }

    /// Throws the transport's error for the request.
    ///
    /// - Parameter request: The request.
    /// - Returns: Never returns.
    /// - Throws: The error for `request`.
    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        throw error(request)
    }
}
