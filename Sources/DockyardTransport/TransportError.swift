/// An error of the transport layer: no response could be had, or a body broke a limit.
///
/// The `code` is extensible: a new case in a later release breaks nobody who switches with a `default`.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The code's name, for example `connectionFailed`.
        public var description: String { name }

        /// The connection could not be made or broke.
        public static let connectionFailed = Code("connectionFailed")
        /// A timeout or deadline passed.
        public static let timedOut = Code("timedOut")
        /// The server's TLS certificate was not trusted, or the TLS handshake failed.
        public static let tlsFailed = Code("tlsFailed")
        /// A response body was larger than the caller allowed.
        public static let bodyTooLarge = Code("bodyTooLarge")
        /// Too many redirects, a redirect loop, or a redirect to an unusable URL.
        public static let redirectFailed = Code("redirectFailed")
        /// A plain-HTTP URL was refused because the host is not loopback and not configured as insecure.
        public static let insecureRefused = Code("insecureRefused")
        /// The request was not valid (for example a URL without a host).
        public static let invalidRequest = Code("invalidRequest")
        /// The request body could not be replayed for a retry or redirect.
        public static let bodyNotReplayable = Code("bodyNotReplayable")
        /// The transport's configuration could not be used (for example an unreadable CA file).
        public static let invalidConfiguration = Code("invalidConfiguration")
    }

    /// What went wrong.
    public let code: Code
    /// A readable explanation with what to do; never contains credentials.
    public let message: String
    /// The underlying error, if any.
    public let underlying: (any Error)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - message: A readable explanation with what to do; it must not contain credentials or signed URLs
    ///     (use `URL.loggableDescription` for URLs).
    ///   - underlying: The underlying error, if any.
    public init(_ code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The message: what happened and what to do.
    public var description: String { message }
}
