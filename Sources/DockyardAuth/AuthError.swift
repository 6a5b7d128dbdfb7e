import DockyardTransport
import Foundation

/// An error of the authentication layer: credentials, credential helpers, challenges and token services.
///
/// The ``code`` is extensible: a later release may add codes, so switch over it with a `default`.
/// The ``description`` says what happened and what to do. It never contains a password, token or other secret.
public struct AuthError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The code's name, for example `invalidCredentials`.
        public var description: String { name }

        /// The registry or its token service refused the username and password (or token).
        public static let invalidCredentials = Code("invalidCredentials")
        /// The registry asked for credentials and none are known for it.
        public static let credentialsRequired = Code("credentialsRequired")
        /// The registry's `WWW-Authenticate` header named no scheme Dockyard supports (Basic, Bearer), or was missing.
        public static let unsupportedChallenge = Code("unsupportedChallenge")
        /// The token service answered with an error or with a response that is not a token.
        public static let tokenServiceFailed = Code("tokenServiceFailed")
        /// A freshly issued token still lacks the access the registry asks for: the account may not do this.
        public static let insufficientScope = Code("insufficientScope")
        /// Credentials would have been sent over plain HTTP to a host that is not loopback.
        public static let insecureRealm = Code("insecureRealm")
        /// A `docker-credential-*` helper failed, timed out or answered something unreadable.
        public static let credentialHelperFailed = Code("credentialHelperFailed")
        /// No `docker-credential-*` executable of that name was found on `PATH`.
        public static let credentialHelperNotFound = Code("credentialHelperNotFound")
        /// The docker `config.json` is not valid JSON, or an entry in it (such as a base64 `auth`) is malformed.
        public static let malformedConfig = Code("malformedConfig")
        /// The docker `config.json` could not be read or written.
        public static let configAccessFailed = Code("configAccessFailed")
        /// A token scope string did not follow the `type:name:actions` grammar.
        public static let invalidScope = Code("invalidScope")
        /// A host other than the registry (a CDN, a storage service, a redirect target) asked for credentials or
        /// refused a request (`401`, `403`): Dockyard sends it nothing, fetches no token for it and keeps the
        /// registry's challenge and tokens as they were.
        public static let foreignOrigin = Code("foreignOrigin")
        /// A server named a URL Dockyard refuses to contact: a token realm over plain HTTP off loopback, or a
        /// link-local or cloud metadata address.
        public static let refusedURL = Code("refusedURL")
    }

    /// What went wrong.
    public let code: Code
    /// A readable explanation with what to do; never contains credentials.
    public let message: String
    /// The registry or helper the error concerns, if any.
    public let registry: String?
    /// The HTTP status the token service or registry answered with, if the error came from a response.
    public let status: Int?
    /// The underlying error, if any.
    public let underlying: (any Error)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - message: A readable explanation with what to do; it must not contain secrets.
    ///   - registry: The registry concerned, if any.
    ///   - status: The HTTP status received, if any.
    ///   - underlying: The underlying error, if any.
    public init(
        _ code: Code,
        message: String,
        registry: String? = nil,
        status: Int? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.registry = registry
        self.status = status
        self.underlying = underlying
    }

    /// The message: what happened and what to do.
    public var description: String { message }
}

extension AuthError {
    /// The error for a `401` or `403` that came from another origin than the one a request was addressed to
    /// (after a redirect to a CDN or storage service).
    ///
    /// - Parameters:
    ///   - status: The status the other origin answered.
    ///   - requested: The URL the request was addressed to (the registry's).
    ///   - answered: The URL that answered.
    ///   - registry: The registry whose credentials were kept back.
    /// - Returns: The error, with code ``Code/foreignOrigin``.
    public static func foreignOrigin(status: Int, requested: URL, answered: URL, registry: String) -> AuthError {
        let host = answered.host ?? "another host"
        let verb = status == 403 ? "refused the request (403)" : "asked for credentials (401)"
        return AuthError(
            .foreignOrigin,
            message: "\(registry) redirected the request to \(answered.loggableDescription), which \(verb); "
                + "Dockyard sends no credentials to \(host) because they belong to \(registry). The registry's "
                + "redirect (for example to expired storage) is broken: try again, or report it to its operator",
            registry: registry, status: status)
    }
}
