import DockyardBlobTransfer
import DockyardTransport
import Foundation
import NIOHTTP1

/// An error a registry answered with: an HTTP status and, usually, the `errors[]` body of the distribution
/// specification, decoded.
///
/// The ``code`` is extensible: codes Dockyard does not know are kept as they came, and a later release can add
/// constants without breaking a `switch` that has a `default`. Errors of the layers below pass through unchanged:
/// an `AuthError` stays an `AuthError`, a `TransportError` a `TransportError`.
///
/// The ``description`` says what happened and what to do; it never contains a credential, a token or the query of
/// a URL.
///
/// See the OCI distribution specification, "Error Codes".
public struct RegistryError: Error, Sendable, CustomStringConvertible {
    /// A registry error code, such as `MANIFEST_UNKNOWN`.
    public struct Code: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
        /// The code as the registry spells it, upper case.
        public let rawValue: String

        /// Creates a code from its wire spelling.
        ///
        /// - Parameter rawValue: The code, e.g. `"MANIFEST_UNKNOWN"`; it is upper-cased.
        public init(_ rawValue: String) { self.rawValue = rawValue.uppercased() }

        /// Creates a code from a string literal.
        ///
        /// - Parameter value: The code.
        public init(stringLiteral value: String) { self.init(value) }

        /// The code as the registry spells it.
        public var description: String { rawValue }

        /// The blob is not known to the registry.
        public static let blobUnknown = Code("BLOB_UNKNOWN")
        /// The blob upload was invalid.
        public static let blobUploadInvalid = Code("BLOB_UPLOAD_INVALID")
        /// The blob upload session is not known (it expired or was cancelled).
        public static let blobUploadUnknown = Code("BLOB_UPLOAD_UNKNOWN")
        /// The provided digest did not match the uploaded content.
        public static let digestInvalid = Code("DIGEST_INVALID")
        /// A blob the manifest references is not in the repository.
        public static let manifestBlobUnknown = Code("MANIFEST_BLOB_UNKNOWN")
        /// The manifest is invalid.
        public static let manifestInvalid = Code("MANIFEST_INVALID")
        /// The manifest is not known to the registry.
        public static let manifestUnknown = Code("MANIFEST_UNKNOWN")
        /// The repository name is invalid.
        public static let nameInvalid = Code("NAME_INVALID")
        /// The repository is not known to the registry.
        public static let nameUnknown = Code("NAME_UNKNOWN")
        /// The provided length did not match the content length.
        public static let sizeInvalid = Code("SIZE_INVALID")
        /// The manifest's tag is invalid.
        public static let tagInvalid = Code("TAG_INVALID")
        /// Authentication is required.
        public static let unauthorized = Code("UNAUTHORIZED")
        /// The requested access to the resource is denied.
        public static let denied = Code("DENIED")
        /// The operation is unsupported.
        public static let unsupported = Code("UNSUPPORTED")
        /// Too many requests: a rate limit was reached.
        public static let tooManyRequests = Code("TOOMANYREQUESTS")
        /// The `n` parameter of a paginated list is invalid.
        public static let paginationNumberInvalid = Code("PAGINATION_NUMBER_INVALID")
        /// The requested range of a blob or upload is invalid.
        public static let rangeInvalid = Code("RANGE_INVALID")
        /// The client's configuration is invalid (raised by Dockyard before any request).
        public static let invalidConfiguration = Code("INVALID_CONFIGURATION")
        /// An index has no manifest for the requested platform (raised by Dockyard).
        public static let platformUnknown = Code("PLATFORM_UNKNOWN")
        /// The registry answered with a status and no `errors[]` body Dockyard could read.
        public static let unexpectedStatus = Code("UNEXPECTED_STATUS")
        /// The registry's answer broke the protocol: a digest that does not match the bytes, an unreadable body,
        /// a manifest that is too large.
        public static let invalidResponse = Code("INVALID_RESPONSE")
    }

    /// One entry of a registry's `errors[]` body: the ``DockyardBlobTransfer/DistributionError`` the blob
    /// client reports too.
    public typealias Detail = DistributionError

    /// What went wrong: the first code of the `errors[]` body, or a code derived from the status.
    public var code: Code
    /// The HTTP status the registry answered with, or `nil` for a protocol violation found in a 2xx answer.
    public var status: Int?
    /// The HTTP method of the request.
    public var method: String
    /// The request's URL without its query and without any user information.
    public var url: String
    /// Every entry of the decoded `errors[]` body.
    public var errors: [Detail]
    /// How long the registry asked the client to wait before retrying, if it said.
    public var retryAfter: Duration?
    /// Docker Hub's rate-limit headers of the response, if it carried them.
    public var rateLimit: RateLimit?
    /// What the request was about, e.g. `127.0.0.1:5000/alice/app:v9`; used in the description.
    public var subject: String?
    /// An explanation for errors Dockyard raises itself (protocol violations).
    public var message: String?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The code.
    ///   - status: The HTTP status, if any.
    ///   - method: The request's method.
    ///   - url: The request's URL; its query and user information are removed.
    ///   - errors: The decoded `errors[]` entries.
    ///   - retryAfter: The `Retry-After` delay.
    ///   - rateLimit: The rate-limit headers.
    ///   - subject: What the request was about.
    ///   - message: An explanation.
    public init(
        code: Code,
        status: Int? = nil,
        method: String,
        url: URL,
        errors: [Detail] = [],
        retryAfter: Duration? = nil,
        rateLimit: RateLimit? = nil,
        subject: String? = nil,
        message: String? = nil
    ) {
        self.code = code
        self.status = status
        self.method = method
        self.url = RegistryError.redacted(url)
        self.errors = errors
        self.retryAfter = retryAfter
        self.rateLimit = rateLimit
        self.subject = subject
        self.message = message
    }

    /// Whether repeating the request later may succeed: rate limits, server errors and timeouts.
    public var isRetryable: Bool {
        if code == .tooManyRequests { return true }
        guard let status else { return false }
        return status == 408 || status == 429 || (500...599).contains(status) && status != 501
    }

    /// What happened and what to do.
    public var description: String {
        let what = subject ?? url
        var text: String
        switch code {
        case .manifestUnknown:
            text = "manifest unknown: \(what) does not exist. Check the tag (list the repository's tags) or the digest"
        case .nameUnknown:
            text = "repository unknown: \(what) does not exist on the registry. Check the repository name"
        case .blobUnknown:
            text = "blob unknown: \(what) is not in the repository. Push the blob first or check the digest"
        case .manifestBlobUnknown:
            text = "manifest refers to a blob the repository lacks (\(what)). Push every layer and the config first"
        case .denied:
            text = "access denied to \(what). Use credentials for \(registryName) of an account that has access"
        case .unauthorized:
            text = "not authorized for \(what): no credentials, or the account lacks access. "
                + "Give credentials for \(registryName) of an account that has access"
        case .tooManyRequests:
            text = "too many requests to \(what)"
            if let retryAfter { text += "; retry after \(RegistryError.seconds(retryAfter)) s" }
            if let rateLimit { text += " (\(rateLimit))" }
            text += ". Authenticate to raise the limit, or wait"
        case .unsupported:
            text = "the registry does not support this operation on \(what)"
        case .digestInvalid:
            text = "digest invalid for \(what): the content did not match its digest"
        case .manifestInvalid:
            text = "manifest invalid for \(what): the registry rejected the document"
        case .tagInvalid:
            text = "tag invalid for \(what)"
        case .nameInvalid:
            text = "repository name invalid: \(what)"
        case .sizeInvalid:
            text = "size invalid for \(what): the length did not match the content"
        case .paginationNumberInvalid:
            text = "page size rejected by the registry for \(what). Use a smaller page size"
        case .rangeInvalid:
            text = "range invalid for \(what)"
        case .blobUploadUnknown:
            text = "upload session unknown for \(what): it expired or was cancelled. Start the upload again"
        case .blobUploadInvalid:
            text = "upload invalid for \(what)"
        case .invalidConfiguration:
            text = "invalid configuration"
        case .platformUnknown:
            text = "no manifest for the requested platform in \(what)"
        case .invalidResponse:
            text = "invalid response for \(what)"
        case .unexpectedStatus:
            text = "unexpected response for \(what)"
        default:
            text = "\(code.rawValue.lowercased().replacingOccurrences(of: "_", with: " ")) for \(what)"
        }
        if let message { text += ": \(message)" }
        if let first = errors.first, let registryMessage = first.message, !registryMessage.isEmpty,
           code != .manifestUnknown, code != .nameUnknown
        {
            text += " (registry says: \(registryMessage))"
        }
        if let status {
            text += " [\(method) \(url) → HTTP \(status)]"
        } else if code != .invalidConfiguration, code != .platformUnknown {
            text += " [\(method) \(url)]"
        }
        return text
    }

    /// The registry the error is about: the subject's first component when it is a host, else Docker Hub.
    public var registryName: String {
        guard let subject, let first = subject.split(separator: "/", maxSplits: 1).first.map(String.init),
              first.contains(".") || first.contains(":") || first == "localhost"
        else { return "docker.io" }
        return first
    }

    /// Removes the query, fragment and user information from a URL, for errors and logs.
    static func redacted(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            return "\(url.scheme ?? "http")://\(url.host ?? "")\(url.path)"
        }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? url.path
    }

    private static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return attoseconds == 0 ? String(seconds) : String(format: "%.1f", Double(seconds) + Double(attoseconds) / 1e18)
    }
}

extension RegistryError {
    /// Decodes a registry's error answer.
    ///
    /// - Parameters:
    ///   - status: The HTTP status.
    ///   - headers: The response headers (for `Retry-After` and rate limits).
    ///   - body: The body's bytes, at most a few KiB.
    ///   - method: The request's method.
    ///   - url: The request's URL.
    ///   - subject: What the request was about.
    /// - Returns: The error.
    static func decode(
        status: HTTPResponseStatus,
        headers: HTTPHeaders,
        body: [UInt8],
        method: HTTPMethod,
        url: URL,
        subject: String?
    ) -> RegistryError {
        let details = DistributionError.decodeList(from: body)
        let code: Code
        if let first = details.first {
            code = Code(first.code)
        } else {
            switch status.code {
            case 401: code = .unauthorized
            case 403: code = .denied
            case 429: code = .tooManyRequests
            case 404: code = method == .HEAD && url.path.contains("/manifests/") ? .manifestUnknown : .unexpectedStatus
            default: code = .unexpectedStatus
            }
        }
        var message: String?
        if details.isEmpty {
            let text = String(decoding: body.prefix(200), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
                .replacingOccurrences(of: "\n", with: " ")
            if !text.isEmpty, code == .unexpectedStatus { message = text }
        }
        return RegistryError(
            code: code,
            status: Int(status.code),
            method: method.rawValue,
            url: url,
            errors: details,
            retryAfter: RegistryError.retryAfter(headers),
            rateLimit: RegistryError.rateLimit(headers),
            subject: subject,
            message: message
        )
    }
}
