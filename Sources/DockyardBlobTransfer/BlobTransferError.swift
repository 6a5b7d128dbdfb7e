import DockyardReferences
import Foundation

/// An error moving a blob: the registry refused, the bytes did not match, or the local file system failed.
///
/// The ``code`` is extensible: a later release may add codes, so switch over it with a `default`.
/// The ``description`` says what happened and what to do; it never contains credentials or the query of a URL
/// (upload URLs carry session state there).
public struct BlobTransferError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The code's name, such as `digestMismatch`.
        public var description: String { name }

        /// The bytes received hash to a different digest than the one asked for.
        public static let digestMismatch = Code("digestMismatch")
        /// More or fewer bytes arrived than the descriptor or the registry announced.
        public static let sizeMismatch = Code("sizeMismatch")
        /// The registry does not have the blob (404, `BLOB_UNKNOWN`).
        public static let blobNotFound = Code("blobNotFound")
        /// The upload session is gone (404, `BLOB_UPLOAD_UNKNOWN`), for example after it expired.
        public static let uploadNotFound = Code("uploadNotFound")
        /// The registry asked for credentials or refused the ones sent (401).
        public static let unauthorized = Code("unauthorized")
        /// The credentials are valid but lack permission (403).
        public static let denied = Code("denied")
        /// The registry answered with a status this operation does not expect.
        public static let unexpectedStatus = Code("unexpectedStatus")
        /// The registry's answer was unusable: a missing or invalid `Location`, `Range` or `Content-Range`.
        public static let invalidResponse = Code("invalidResponse")
        /// The connection kept breaking and the transfer could not be resumed within the allowed attempts.
        public static let resumeFailed = Code("resumeFailed")
        /// Reading or writing a local file failed.
        public static let fileSystem = Code("fileSystem")
    }

    /// One entry of a registry's `errors` array: the ``DistributionError`` the registry client reports too.
    public typealias RegistryErrorDetail = DistributionError

    /// What went wrong.
    public let code: Code
    /// A readable explanation, with what to do.
    public let message: String
    /// The blob concerned, when known.
    public var digest: ContentDigest?
    /// The HTTP status, when the error comes from a response.
    public var status: Int?
    /// The request URL without its query, when the error comes from a response.
    public var url: String?
    /// The registry's decoded `errors` array, possibly empty.
    public var registryErrors: [RegistryErrorDetail]
    /// The lower-level error, if any (a ``DockyardTransport/TransportError``, a POSIX error, …).
    public var underlying: (any Error)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - message: A readable explanation with what to do.
    ///   - digest: The blob concerned.
    ///   - status: The HTTP status.
    ///   - url: The request URL; its query is dropped.
    ///   - registryErrors: The registry's decoded `errors` array.
    ///   - underlying: The lower-level error.
    public init(
        _ code: Code,
        message: String,
        digest: ContentDigest? = nil,
        status: Int? = nil,
        url: URL? = nil,
        registryErrors: [RegistryErrorDetail] = [],
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.digest = digest
        self.status = status
        self.url = url.map(BlobTransferError.redacted)
        self.registryErrors = registryErrors
        self.underlying = underlying
    }

    /// Whether trying the same operation again may succeed (a broken connection, a 5xx, a 429).
    public var isRetryable: Bool {
        if code == .resumeFailed { return true }
        if let status { return status == 429 || status >= 500 }
        return false
    }

    /// The message, followed by the registry's own error codes and messages when it sent any.
    public var description: String {
        var text = message
        if !registryErrors.isEmpty {
            text += " (registry says: \(registryErrors.map(\.summary).joined(separator: "; ")))"
        }
        return text
    }

    /// The URL without user info, query or fragment, for messages.
    static func redacted(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: true) else { return "<url>" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "<url>"
    }
}

extension BlobTransferError {
    /// Decodes a registry `errors` body, tolerating anything else.
    static func registryErrors(in body: [UInt8]) -> [RegistryErrorDetail] {
        DistributionError.decodeList(from: body)
    }

    /// Builds the error for an unexpected response, choosing the code from the status and the registry's errors.
    static func response(
        status: Int,
        url: URL,
        body: [UInt8],
        digest: ContentDigest?,
        doing action: String
    ) -> BlobTransferError {
        let details = registryErrors(in: body)
        let codes = Set(details.map(\.code))
        let subject = digest.map { " \($0)" } ?? ""
        let target = redacted(url)
        switch status {
        case 401:
            return BlobTransferError(
                .unauthorized,
                message: "\(action)\(subject) was refused with 401 by \(target): log in with credentials for this registry",
                digest: digest, status: status, url: url, registryErrors: details)
        case 403:
            return BlobTransferError(
                .denied,
                message: "\(action)\(subject) was denied (403) by \(target): the account lacks permission for this repository",
                digest: digest, status: status, url: url, registryErrors: details)
        case 404 where codes.contains("BLOB_UPLOAD_UNKNOWN") || codes.contains("BLOB_UPLOAD_INVALID"):
            // distribution 2.8 answers 404 BLOB_UPLOAD_INVALID when it cancels a session whose size went past the
            // offset of its last Location (a request body cut in the middle).
            return BlobTransferError(
                .uploadNotFound,
                message: "\(action)\(subject) failed: the upload session at \(target) no longer exists; start the upload again",
                digest: digest, status: status, url: url, registryErrors: details)
        case 404:
            return BlobTransferError(
                .blobNotFound,
                message: "\(action)\(subject) failed: \(target) does not have it (404); check the repository and digest",
                digest: digest, status: status, url: url, registryErrors: details)
        default:
            if codes.contains("DIGEST_INVALID") {
                return BlobTransferError(
                    .digestMismatch,
                    message: "\(action)\(subject) failed: the registry computed a different digest (\(status)); the source bytes changed or are corrupt",
                    digest: digest, status: status, url: url, registryErrors: details)
            }
            return BlobTransferError(
                .unexpectedStatus,
                message: "\(action)\(subject) failed: \(target) answered \(status)",
                digest: digest, status: status, url: url, registryErrors: details)
        }
    }
}
