import Foundation

/// An error answered by Docker Hub, or met while talking to it.
///
/// Docker Hub's services answer errors in several body shapes: `{"detail": …}` (the older Django services and the
/// login routes), `{"message": …, "errinfo": {…}}` (the newer services), `{"fields": {…}, "text": …}` (the spec's
/// `ValueError`), `{"code": …, "message": …, "details": …}`, Django REST field errors (`{"name": ["…"]}`) and the
/// registry's `{"errors": [{code, message, detail}]}`. Every one of them is decoded into this one type, which keeps
/// the HTTP status, the message and the per-field errors.
///
/// The ``code`` is extensible: a later release may add codes without breaking a `switch` that has a `default`.
public struct HubAPIError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The code's name.
        public var description: String { name }

        /// 400: the request was refused as invalid; ``HubAPIError/fieldErrors`` usually says why.
        public static let invalidRequest = Code("invalidRequest")
        /// 401: no credentials, or credentials the Hub refused.
        public static let unauthorized = Code("unauthorized")
        /// The account has two-factor authentication and no code was supplied (or the code was refused).
        public static let twoFactorRequired = Code("twoFactorRequired")
        /// 403: the credentials are valid but may not do this.
        public static let forbidden = Code("forbidden")
        /// 404: the object does not exist, or the caller may not see it (private repositories answer 404).
        public static let notFound = Code("notFound")
        /// 405: the route exists but not with this method.
        public static let methodNotAllowed = Code("methodNotAllowed")
        /// 409: a conflicting object exists.
        public static let conflict = Code("conflict")
        /// 429: the rate limit was exceeded and retries were exhausted or not allowed.
        public static let rateLimited = Code("rateLimited")
        /// 5xx: the Hub failed.
        public static let serverError = Code("serverError")
        /// Any other unexpected status.
        public static let unexpectedStatus = Code("unexpectedStatus")
        /// A response body could not be decoded as the expected document.
        public static let invalidResponse = Code("invalidResponse")
        /// An argument was rejected before anything was sent (for example a callback description over 255 characters).
        public static let invalidArgument = Code("invalidArgument")
        /// No session: the call needs a login and none is configured.
        public static let notLoggedIn = Code("notLoggedIn")
    }

    /// What kind of failure this is.
    public let code: Code
    /// The HTTP status, when a response was had.
    public let status: Int?
    /// The Hub's message (or ours, when no response was had).
    public let message: String
    /// Errors per field, such as `["ordering": ["Invalid ordering value…"]]`.
    public let fieldErrors: [String: [String]]
    /// The Hub's own error code, when the body carried one (for example a registry `errors[].code`).
    public let serverCode: String?
    /// The request's method, when a request was sent.
    public let method: String?
    /// The request's URL without query or credentials, when a request was sent.
    public let url: String?
    /// How long the Hub asked the client to wait (from `Retry-After` or `X-Retry-After`), on a 429.
    public let retryAfter: Duration?
    /// The rate-limit headers of the failing response, if it had them.
    public let rateLimit: HubRateLimit?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - status: The HTTP status, if any.
    ///   - message: A readable message; it must not contain credentials.
    ///   - fieldErrors: Errors per field.
    ///   - serverCode: The Hub's own error code, if any.
    ///   - method: The request's method.
    ///   - url: The request's URL without query.
    ///   - retryAfter: The wait the Hub asked for.
    ///   - rateLimit: The rate-limit state of the response.
    public init(
        _ code: Code,
        status: Int? = nil,
        message: String,
        fieldErrors: [String: [String]] = [:],
        serverCode: String? = nil,
        method: String? = nil,
        url: String? = nil,
        retryAfter: Duration? = nil,
        rateLimit: HubRateLimit? = nil
    ) {
        self.code = code
        self.status = status
        self.message = message
        self.fieldErrors = fieldErrors
        self.serverCode = serverCode
        self.method = method
        self.url = url
        self.retryAfter = retryAfter
        self.rateLimit = rateLimit
    }

    /// Whether sending the same request again later may succeed (429 and 5xx).
    public var isRetryable: Bool {
        code == .rateLimited || code == .serverError
    }

    /// One line saying what happened and, where it helps, what to do.
    public var description: String {
        var text = ""
        if let method, let url { text += "\(method) \(url): " }
        if let status { text += "\(status) " }
        text += message
        if !fieldErrors.isEmpty {
            let fields = fieldErrors.keys.sorted().map { key in "\(key): \(fieldErrors[key, default: []].joined(separator: " "))" }
            text += " (" + fields.joined(separator: "; ") + ")"
        }
        if let hint { text += ". " + hint }
        return text
    }

    private var hint: String? {
        switch code {
        case .unauthorized: return "Log in again (HubClient.login) or check the access token and its scopes"
        case .twoFactorRequired: return "Supply the two-factor code through the login's twoFactorCode closure"
        case .forbidden: return "The account lacks the permission or token scope for this"
        case .notFound: return "Check the name; private objects are not found without access"
        case .rateLimited:
            if let retryAfter { return "Retry after \(retryAfter.components.seconds) s" }
            return "Retry later"
        case .notLoggedIn: return "Log in first (HubClient.login, or create the client with a session)"
        default: return nil
        }
    }

    /// The same error naming a different URL (used to hide capability URLs such as trigger and callback URLs,
    /// whose paths are secrets).
    func replacingURL(with text: String) -> HubAPIError {
        HubAPIError(code, status: status, message: message, fieldErrors: fieldErrors, serverCode: serverCode,
                    method: method, url: text, retryAfter: retryAfter, rateLimit: rateLimit)
    }

    /// A capability URL reduced to its origin, for messages.
    static func origin(of url: URL, _ label: String) -> String {
        "\(url.scheme ?? "https")://\(url.host ?? "?")\(url.port.map { ":\($0)" } ?? "")/<\(label)>"
    }

    /// The code for an HTTP status.
    static func code(forStatus status: Int) -> Code {
        switch status {
        case 400, 422: return .invalidRequest
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 405: return .methodNotAllowed
        case 409: return .conflict
        case 429: return .rateLimited
        case 500...599: return .serverError
        default: return .unexpectedStatus
        }
    }

    /// Decodes a Hub error body of any known shape.
    ///
    /// - Parameters:
    ///   - status: The HTTP status of the response.
    ///   - body: The response body.
    ///   - method: The request's method.
    ///   - url: The request's URL; its query is dropped.
    ///   - retryAfter: The wait the response asked for.
    ///   - rateLimit: The response's rate-limit state.
    /// - Returns: The decoded error; never fails (an unknown body becomes a generic message).
    public static func decode(
        status: Int,
        body: some Collection<UInt8>,
        method: String? = nil,
        url: URL? = nil,
        retryAfter: Duration? = nil,
        rateLimit: HubRateLimit? = nil
    ) -> HubAPIError {
        let parsed = ErrorBody(bytes: Array(body))
        var code = HubAPIError.code(forStatus: status)
        if status == 401, parsed.twoFactorToken != nil { code = .twoFactorRequired }
        return HubAPIError(
            code,
            status: status,
            message: parsed.message ?? defaultMessage(status: status),
            fieldErrors: parsed.fields,
            serverCode: parsed.serverCode,
            method: method,
            url: url.map(redacted),
            retryAfter: retryAfter,
            rateLimit: rateLimit
        )
    }

    static func defaultMessage(status: Int) -> String {
        switch status {
        case 404: return "not found"
        case 401: return "unauthorized"
        case 403: return "forbidden"
        case 429: return "rate limit exceeded"
        default: return HTTPStatusText.text(for: status)
        }
    }

    /// The URL without query, fragment or user info.
    static func redacted(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return "<url>" }
        components.query = nil
        components.fragment = nil
        components.user = nil
        components.password = nil
        return components.string ?? "<url>"
    }
}

enum HTTPStatusText {
    static func text(for status: Int) -> String {
        switch status {
        case 400: return "bad request"
        case 405: return "method not allowed"
        case 409: return "conflict"
        case 500: return "internal server error"
        case 502: return "bad gateway"
        case 503: return "service unavailable"
        case 504: return "gateway timeout"
        default: return "unexpected status"
        }
    }
}

/// The fields of a Hub error body, whatever its shape.
struct ErrorBody {
    var message: String?
    var fields: [String: [String]] = [:]
    var serverCode: String?
    var twoFactorToken: String?

    init(bytes: [UInt8]) {
        guard !bytes.isEmpty,
              let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? [String: Any]
        else {
            if let text = String(bytes: bytes, encoding: .utf8), !text.isEmpty {
                message = ErrorBody.summary(ofText: text)
            }
            return
        }
        twoFactorToken = object["login_2fa_token"] as? String
        // Registry shape: {"errors": [{"code", "message", "detail"}]}
        if let errors = object["errors"] as? [[String: Any]], !errors.isEmpty {
            message = errors.compactMap { $0["message"] as? String }.joined(separator: "; ")
            serverCode = errors.first?["code"] as? String
            return
        }
        // ValueError shape: {"fields": {...}, "text": "..."}
        if let text = object["text"] as? String {
            message = text
            if let fieldMap = object["fields"] as? [String: Any] {
                fields = ErrorBody.fieldErrors(fieldMap)
            }
            return
        }
        if let detail = object["detail"] as? String {
            message = detail
            return
        }
        if let text = object["message"] as? String {
            message = text
            if let code = object["code"] as? String { serverCode = code } else if let code = object["code"] as? Int { serverCode = String(code) }
            for key in ["errinfo", "details"] {
                if let info = object[key] as? [String: Any] {
                    fields.merge(ErrorBody.fieldErrors(info)) { _, new in new }
                } else if let text = object[key] as? String, !text.isEmpty {
                    message = (message ?? "") + ": " + text
                }
            }
            return
        }
        // Django REST field errors: {"name": ["..."], "__all__": ["..."]}
        var general: [String] = []
        for (key, texts) in ErrorBody.fieldErrors(object) {
            if key == "__all__" || key == "non_field_errors" { general += texts } else { fields[key] = texts }
        }
        if !general.isEmpty {
            message = general.joined(separator: " ")
        } else if !fields.isEmpty {
            message = "invalid fields"
        }
    }

    /// Keys whose values are secrets (a two-factor ticket, session tokens): never copied into a message or a
    /// field error, whatever the body's shape. (Keys such as `secret` or `password` stay: their values are
    /// validation messages about the field.)
    static let secretKeys: Set<String> = ["login_2fa_token", "token", "access_token", "refresh_token", "jwt"]

    /// The field errors of `map` without secret keys.
    static func fieldErrors(_ map: [String: Any]) -> [String: [String]] {
        var fields: [String: [String]] = [:]
        for (key, value) in map where !secretKeys.contains(key.lowercased()) {
            let texts = strings(value)
            if !texts.isEmpty { fields[key] = texts }
        }
        return fields
    }

    static func strings(_ value: Any) -> [String] {
        if let text = value as? String { return [text] }
        if let list = value as? [Any] { return list.flatMap(strings) }
        if let number = value as? NSNumber { return [number.stringValue] }
        if let map = value as? [String: Any] {
            return map.keys.sorted().filter { !secretKeys.contains($0.lowercased()) }.flatMap { key in
                strings(map[key] ?? "").map { "\(key): \($0)" }
            }
        }
        return []
    }

    /// The title of an HTML page, or the first line of plain text, kept short.
    static func summary(ofText text: String) -> String {
        if let start = text.range(of: "<title>", options: .caseInsensitive),
           let end = text.range(of: "</title>", options: .caseInsensitive, range: start.upperBound..<text.endIndex) {
            return text[start.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return String(line.prefix(200))
    }
}
