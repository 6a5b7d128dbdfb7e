import DockyardTransport
import Foundation

/// The payload Docker Hub POSTs to a webhook's URL after a push.
///
/// Decode a request body with ``decode(from:)``. The timestamps are unix times that the Hub has sent as integers
/// and as floats; both are accepted. `push_data.images` and `repository.dockerfile` appear only in some payloads.
/// To acknowledge the delivery, send a ``WebhookCallback`` to ``callbackURL`` with
/// ``HubClient/sendCallback(_:to:)``.
public struct WebhookDelivery: Sendable, Hashable, Codable {
    /// Where the receiver reports its outcome (one callback per delivery).
    public var callbackURL: URL
    /// The push that caused the delivery.
    public var pushData: PushData
    /// The repository pushed to.
    public var repository: Repository

    /// What was pushed.
    public struct PushData: Sendable, Hashable, Codable {
        /// When it was pushed.
        public var pushedAt: Date
        /// Who pushed it (`trustedbuilder` for automated builds).
        public var pusher: String
        /// The tag pushed.
        public var tag: String
        /// Image (layer) ids, in older payloads.
        public var images: [String]?

        /// Creates push data.
        ///
        /// - Parameters:
        ///   - pushedAt: When it was pushed.
        ///   - pusher: Who pushed it.
        ///   - tag: The tag pushed.
        ///   - images: Image (layer) ids, if any.
        public init(pushedAt: Date, pusher: String, tag: String, images: [String]? = nil) {
            self.pushedAt = pushedAt
            self.pusher = pusher
            self.tag = tag
            self.images = images
        }

        enum CodingKeys: String, CodingKey { case pushedAt = "pushed_at", pusher, tag, images }

        /// Decodes, accepting integer and float timestamps.
        ///
        /// - Parameter decoder: The decoder to read from.
        /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            pushedAt = try WebhookDelivery.timestamp(c, .pushedAt)
            pusher = try c.decode(String.self, forKey: .pusher)
            tag = try c.decode(String.self, forKey: .tag)
            images = try c.decodeIfPresent([String].self, forKey: .images)
        }

        /// Encodes with an integer-or-float unix time.
        ///
        /// - Parameter encoder: The encoder to write to.
        /// - Throws: `EncodingError` when a value cannot be encoded.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(pushedAt.timeIntervalSince1970, forKey: .pushedAt)
            try c.encode(pusher, forKey: .pusher)
            try c.encode(tag, forKey: .tag)
            try c.encodeIfPresent(images, forKey: .images)
        }
    }

    /// The repository of a delivery.
    public struct Repository: Sendable, Hashable, Codable {
        /// `namespace/name`.
        public var repoName: String
        /// The name.
        public var name: String
        /// The namespace.
        public var namespace: String
        /// The owner.
        public var owner: String?
        /// The repository's page.
        public var repoURL: String?
        /// The short description.
        public var description: String?
        /// The full description.
        public var fullDescription: String?
        /// The Dockerfile, in older payloads of automated builds.
        public var dockerfile: String?
        /// Whether it is private.
        public var isPrivate: Bool?
        /// Whether it is official.
        public var isOfficial: Bool?
        /// Whether it is an automated build.
        public var isTrusted: Bool?
        /// Stars.
        public var starCount: Int?
        /// Comments.
        public var commentCount: Int?
        /// When it was created.
        public var dateCreated: Date?
        /// `Active`, or another status.
        public var status: String?

        enum CodingKeys: String, CodingKey {
            case name, namespace, owner, description, dockerfile, status
            case repoName = "repo_name", repoURL = "repo_url", fullDescription = "full_description"
            case isPrivate = "is_private", isOfficial = "is_official", isTrusted = "is_trusted"
            case starCount = "star_count", commentCount = "comment_count", dateCreated = "date_created"
        }

        /// Decodes, accepting integer and float timestamps.
        ///
        /// - Parameter decoder: The decoder to read from.
        /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            namespace = try c.decode(String.self, forKey: .namespace)
            repoName = try c.decodeIfPresent(String.self, forKey: .repoName) ?? "\(namespace)/\(name)"
            owner = c.lenientString(.owner)
            repoURL = c.lenientString(.repoURL)
            description = c.lenientString(.description)
            fullDescription = c.lenientString(.fullDescription)
            dockerfile = c.lenientString(.dockerfile)
            isPrivate = c.lenientBool(.isPrivate)
            isOfficial = c.lenientBool(.isOfficial)
            isTrusted = c.lenientBool(.isTrusted)
            starCount = c.lenientInt(.starCount)
            commentCount = c.lenientInt(.commentCount)
            dateCreated = c.lenientDate(.dateCreated)
            status = c.lenientString(.status)
        }

        /// Encodes with the Hub's field names and unix times.
        ///
        /// - Parameter encoder: The encoder to write to.
        /// - Throws: `EncodingError` when a value cannot be encoded.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(repoName, forKey: .repoName)
            try c.encode(name, forKey: .name)
            try c.encode(namespace, forKey: .namespace)
            try c.encodeIfPresent(owner, forKey: .owner)
            try c.encodeIfPresent(repoURL, forKey: .repoURL)
            try c.encodeIfPresent(description, forKey: .description)
            try c.encodeIfPresent(fullDescription, forKey: .fullDescription)
            try c.encodeIfPresent(dockerfile, forKey: .dockerfile)
            try c.encodeIfPresent(isPrivate, forKey: .isPrivate)
            try c.encodeIfPresent(isOfficial, forKey: .isOfficial)
            try c.encodeIfPresent(isTrusted, forKey: .isTrusted)
            try c.encodeIfPresent(starCount, forKey: .starCount)
            try c.encodeIfPresent(commentCount, forKey: .commentCount)
            try c.encodeIfPresent(dateCreated?.timeIntervalSince1970, forKey: .dateCreated)
            try c.encodeIfPresent(status, forKey: .status)
        }
    }

    enum CodingKeys: String, CodingKey { case callbackURL = "callback_url", pushData = "push_data", repository }

    /// Decodes a delivery.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text = try c.decode(String.self, forKey: .callbackURL)
        guard let url = URL(string: text), url.scheme != nil, url.host != nil else {
            throw DecodingError.dataCorruptedError(forKey: .callbackURL, in: c, debugDescription: "callback_url is not an absolute URL")
        }
        callbackURL = url
        pushData = try c.decode(PushData.self, forKey: .pushData)
        repository = try c.decode(Repository.self, forKey: .repository)
    }

    /// Decodes a delivery from a request body.
    ///
    /// - Parameter bytes: The body of the Hub's POST.
    /// - Returns: The delivery.
    /// - Throws: ``WebhookPayloadError`` saying which field is missing or malformed, or that the body is not JSON.
    public static func decode(from bytes: some Collection<UInt8>) throws(WebhookPayloadError) -> WebhookDelivery {
        let data = Data(bytes)
        guard !data.isEmpty else { throw WebhookPayloadError(message: "the webhook body is empty") }
        do {
            return try JSONDecoder().decode(WebhookDelivery.self, from: data)
        } catch let error as DecodingError {
            throw WebhookPayloadError(message: "not a Docker Hub webhook payload: \(HubJSON.describe(error))")
        } catch {
            throw WebhookPayloadError(message: "not a Docker Hub webhook payload: \(error)")
        }
    }

    static func timestamp<Key: CodingKey>(_ c: KeyedDecodingContainer<Key>, _ key: Key) throws -> Date {
        if let seconds = try? c.decode(Double.self, forKey: key), seconds.isFinite {
            return Date(timeIntervalSince1970: seconds)
        }
        if let text = try? c.decode(String.self, forKey: key) {
            if let seconds = Double(text), seconds.isFinite { return Date(timeIntervalSince1970: seconds) }
            if let date = HubJSON.parseDate(text) { return date }
        }
        guard c.contains(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: c.codingPath, debugDescription: "missing"))
        }
        throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not a unix timestamp")
    }
}

/// A webhook body that could not be read as a Docker Hub delivery.
public struct WebhookPayloadError: Error, Sendable, CustomStringConvertible {
    /// What was wrong, naming the field.
    public let message: String
    /// The message.
    public var description: String { message }
}

/// The outcome a webhook receiver reports to a delivery's `callback_url`.
///
/// The Hub's limits are checked when the callback is made, before anything is sent: `description` at most 255
/// characters, `context` at most 100, and `target_url` an absolute http(s) URL.
public struct WebhookCallback: Sendable, Hashable, Codable {
    /// The outcome.
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        /// The receiver succeeded; the next hook of the chain is called.
        case success
        /// The receiver ran and the work failed; the chain stops.
        case failure
        /// The receiver could not do its work; the chain stops.
        case error
    }

    /// The longest `description` the Hub accepts.
    public static let maxDescriptionLength = 255
    /// The longest `context` the Hub accepts.
    public static let maxContextLength = 100

    /// The outcome.
    public let state: State
    /// A short description of the outcome.
    public let description: String?
    /// Who reports (e.g. "Continuous integration by Acme CI").
    public let context: String?
    /// Where the details are.
    public let targetURL: URL?

    /// Creates a callback, checking the Hub's limits.
    ///
    /// - Parameters:
    ///   - state: The outcome.
    ///   - description: At most 255 characters.
    ///   - context: At most 100 characters.
    ///   - targetURL: An absolute http(s) URL with the details.
    /// - Throws: ``HubAPIError`` with code ``HubAPIError/Code/invalidArgument`` naming the field over its limit.
    public init(state: State, description: String? = nil, context: String? = nil, targetURL: URL? = nil) throws(HubAPIError) {
        if let description, description.count > WebhookCallback.maxDescriptionLength {
            throw HubAPIError(.invalidArgument, message: "the callback description has \(description.count) characters; at most 255 are allowed",
                              fieldErrors: ["description": ["Ensure this field has no more than 255 characters."]])
        }
        if let context, context.count > WebhookCallback.maxContextLength {
            throw HubAPIError(.invalidArgument, message: "the callback context has \(context.count) characters; at most 100 are allowed",
                              fieldErrors: ["context": ["Ensure this field has no more than 100 characters."]])
        }
        if let targetURL {
            guard targetURL.isAbsoluteHTTP else {
                throw HubAPIError(.invalidArgument, message: "the callback target_url must be an absolute http(s) URL",
                                  fieldErrors: ["target_url": ["Enter a valid URL."]])
            }
        }
        self.state = state
        self.description = description
        self.context = context
        self.targetURL = targetURL
    }

    enum CodingKeys: String, CodingKey { case state, description, context, targetURL = "target_url" }

    /// Decodes a callback and checks the same limits.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type; ``HubAPIError`` with code
    ///   ``HubAPIError/Code/invalidArgument`` when a value breaks the Hub's limits or `target_url` is not a URL.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let state = try c.decode(State.self, forKey: .state)
        var targetURL: URL?
        if let target = try c.decodeIfPresent(String.self, forKey: .targetURL) {
            // A target that is not a URL at all is refused like a non-http one, not silently dropped.
            guard let url = URL(string: target) else {
                throw HubAPIError(.invalidArgument, message: "the callback target_url must be an absolute http(s) URL",
                                  fieldErrors: ["target_url": ["Enter a valid URL."]])
            }
            targetURL = url
        }
        try self.init(
            state: state,
            description: try c.decodeIfPresent(String.self, forKey: .description),
            context: try c.decodeIfPresent(String.self, forKey: .context),
            targetURL: targetURL
        )
    }

    /// Encodes the callback body.
    ///
    /// - Parameter encoder: The encoder to write to.
    /// - Throws: `EncodingError` when a value cannot be encoded.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(state, forKey: .state)
        try c.encodeIfPresent(description, forKey: .description)
        try c.encodeIfPresent(context, forKey: .context)
        try c.encodeIfPresent(targetURL?.absoluteString, forKey: .targetURL)
    }
}

extension WebhookDelivery {
    /// The hosts Docker Hub sends webhook callbacks to: `registry.hub.docker.com` (where `callback_url` points)
    /// and `hub.docker.com`.
    public static let dockerHubCallbackHosts: Set<String> = ["registry.hub.docker.com", "hub.docker.com"]

    /// Checks that a callback URL points to Docker Hub, so that a forged delivery cannot make a receiver send
    /// requests to a host of the forger's choosing (its own network, a metadata service).
    ///
    /// A callback URL must be `https` on one of ``dockerHubCallbackHosts``, on the host of the Hub API the client
    /// talks to, or on a host the caller allows explicitly; plain `http` only to loopback.
    ///
    /// - Parameters:
    ///   - url: The delivery's ``callbackURL``.
    ///   - hubHost: The host of the Hub API the client is configured with (a Hub emulator in tests).
    ///   - allowedHosts: Further hosts the caller trusts with callbacks.
    /// - Throws: ``HubAPIError`` with code ``HubAPIError/Code/invalidArgument`` naming the refused host.
    public static func checkCallbackURL(_ url: URL, hubHost: String?, allowedHosts: Set<String> = []) throws(HubAPIError) {
        let host = (url.host ?? "").lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]."))
        let scheme = url.scheme?.lowercased()
        let allowed = dockerHubCallbackHosts.union(allowedHosts.map { $0.lowercased() })
            .union(hubHost.map { [$0.lowercased()] } ?? [])
        let loopback = HostPolicy.isLoopback(host: host)
        guard scheme == "https" || scheme == "http", !host.isEmpty else {
            throw HubAPIError(.invalidArgument, message: "the callback URL must be an absolute http(s) URL")
        }
        guard allowed.contains(host), scheme == "https" || loopback else {
            throw HubAPIError(
                .invalidArgument,
                message: "refusing to send a webhook callback to \(scheme ?? "?")://\(host): callbacks go only to Docker "
                    + "Hub (https://registry.hub.docker.com) unless the host is allowed explicitly; the delivery may be forged")
        }
    }
}
