import Foundation

/// The status of an automated build.
///
/// The Hub reports a numeric code: 0 queued, 3 building, 10 success, -1 failure, -4 cancelled (other codes are
/// kept as they come).
public struct HubBuildStatus: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The Hub's numeric code.
    public let code: Int

    /// Creates a status from the Hub's code.
    ///
    /// - Parameter code: The numeric code.
    public init(code: Int) { self.code = code }

    /// Waiting for a builder.
    public static let queued = HubBuildStatus(code: 0)
    /// Building.
    public static let building = HubBuildStatus(code: 3)
    /// Built and pushed.
    public static let success = HubBuildStatus(code: 10)
    /// Failed.
    public static let failure = HubBuildStatus(code: -1)
    /// Cancelled.
    public static let cancelled = HubBuildStatus(code: -4)

    /// Whether the build has ended (success, failure or cancelled).
    public var isFinal: Bool { code == 10 || code < 0 }

    /// The status's name: `queued`, `building`, `success`, `failure`, `cancelled` or `status N`.
    public var description: String {
        switch code {
        case 0: return "queued"
        case 3: return "building"
        case 10: return "success"
        case -1: return "failure"
        case -4: return "cancelled"
        default: return "status \(code)"
        }
    }

    /// Decodes the numeric code (a string such as `"success"` is accepted too).
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let code = try? container.decode(Int.self) {
            self.code = code
            return
        }
        let text = try container.decode(String.self).lowercased()
        switch text {
        case "queued", "pending": code = 0
        case "building", "in_progress": code = 3
        case "success", "succeeded", "done": code = 10
        case "failure", "failed", "error": code = -1
        case "cancelled", "canceled": code = -4
        default:
            guard let value = Int(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown build status \(text)")
            }
            code = value
        }
    }

    /// Encodes the status's name.
    ///
    /// - Parameter encoder: The encoder to write to.
    /// - Throws: `EncodingError` when a value cannot be encoded.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// One automated build, from the build history.
public struct HubBuild: Sendable, Hashable, Codable {
    /// The build's id.
    public var id: Int?
    /// The build code that names it in URLs.
    public var buildCode: String
    /// Its status.
    public var status: HubBuildStatus
    /// The tag it builds.
    public var tag: String?
    /// Why it ran (`TRIGGERED_VIA_API`, `TRIGGERED_VIA_UI`, …).
    public var cause: String?
    /// `Branch` or `Tag`.
    public var sourceType: String?
    /// The branch or tag built.
    public var sourceName: String?
    /// When it was queued.
    public var createdDate: Date?
    /// When it last changed.
    public var lastUpdated: Date?
    /// Details (logs, digest, error), only in a build's detail.
    public var results: Results?

    /// The details of a build.
    public struct Results: Sendable, Hashable, Codable {
        /// The build log.
        public var logs: String?
        /// The pushed image's digest.
        public var digest: String?
        /// An error message.
        public var error: String?
        /// A failure message.
        public var failure: String?

        enum CodingKeys: String, CodingKey { case logs, digest, error, failure }

        /// Decodes leniently.
        ///
        /// - Parameter decoder: The decoder to read from.
        /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            logs = c.lenientString(.logs)
            digest = c.lenientString(.digest)
            error = c.lenientString(.error)
            failure = c.lenientString(.failure)
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, status, cause
        case buildCode = "build_code", tag = "dockertag_name", sourceType = "source_type", sourceName = "source_name"
        case createdDate = "created_date", lastUpdated = "last_updated", results = "build_results"
    }

    /// Decodes leniently.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = c.lenientInt(.id)
        buildCode = try c.decode(String.self, forKey: .buildCode)
        status = c.lenient(HubBuildStatus.self, .status) ?? HubBuildStatus(code: Int.min)
        tag = c.lenientString(.tag)
        cause = c.lenientString(.cause)
        sourceType = c.lenientString(.sourceType)
        sourceName = c.lenientString(.sourceName)
        createdDate = c.lenientDate(.createdDate)
        lastUpdated = c.lenientDate(.lastUpdated)
        results = c.lenient(Results.self, .results)
    }
}

/// A build rule: which source (branch or tag) builds which image tag, and how.
public struct HubBuildRule: Sendable, Hashable, Codable {
    /// The rule's id (`nil` for a rule not yet created).
    public var id: Int?
    /// The image tag to push; `{sourceref}` means the source's name.
    public var tag: String
    /// `Branch` or `Tag`.
    public var sourceType: HubBuildSourceType
    /// The branch or tag name, or a `/regex/`.
    public var sourceName: String
    /// Where the Dockerfile is, relative to the source root (`/` by default).
    public var dockerfileLocation: String
    /// The build context, relative to the source root (`/` by default).
    public var buildContext: String
    /// Whether a push to the source starts a build of this rule.
    public var autobuild: Bool
    /// Whether the build reuses cached layers (the Hub's `nocache` is the opposite).
    public var buildCaching: Bool

    /// Creates a rule.
    ///
    /// - Parameters:
    ///   - tag: The image tag to push; `{sourceref}` for the source's name.
    ///   - sourceType: Branch or tag.
    ///   - sourceName: The source's name or `/regex/`.
    ///   - dockerfileLocation: The Dockerfile's folder.
    ///   - buildContext: The build context's folder.
    ///   - autobuild: Whether a push to the source builds the rule.
    ///   - buildCaching: Whether builds reuse cached layers.
    public init(tag: String, sourceType: HubBuildSourceType, sourceName: String, dockerfileLocation: String = "/",
                buildContext: String = "/", autobuild: Bool = true, buildCaching: Bool = true) {
        self.tag = tag
        self.sourceType = sourceType
        self.sourceName = sourceName
        self.dockerfileLocation = dockerfileLocation
        self.buildContext = buildContext
        self.autobuild = autobuild
        self.buildCaching = buildCaching
    }

    enum CodingKeys: String, CodingKey {
        case id, tag = "name", sourceType = "source_type", sourceName = "source_name", dockerfileLocation = "dockerfile_location"
        case buildContext = "build_context", autobuild, noCache = "nocache"
    }

    /// Decodes leniently; a rule without `build_context`, `autobuild` or `nocache` gets the Hub's defaults
    /// (`/`, on, caching on).
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = c.lenientInt(.id)
        tag = c.lenientString(.tag) ?? ""
        sourceType = HubBuildSourceType(rawValue: c.lenientString(.sourceType) ?? "Branch") ?? .branch
        sourceName = c.lenientString(.sourceName) ?? ""
        dockerfileLocation = c.lenientString(.dockerfileLocation) ?? "/"
        buildContext = c.lenientString(.buildContext) ?? "/"
        autobuild = c.lenientBool(.autobuild) ?? true
        buildCaching = !(c.lenientBool(.noCache) ?? false)
    }

    /// Encodes with the Hub's field names (`build caching` as `nocache`).
    ///
    /// - Parameter encoder: The encoder to write to.
    /// - Throws: `EncodingError` when a value cannot be encoded.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encode(tag, forKey: .tag)
        try c.encode(sourceType, forKey: .sourceType)
        try c.encode(sourceName, forKey: .sourceName)
        try c.encode(dockerfileLocation, forKey: .dockerfileLocation)
        try c.encode(buildContext, forKey: .buildContext)
        try c.encode(autobuild, forKey: .autobuild)
        try c.encode(!buildCaching, forKey: .noCache)
    }
}

/// Where an automated build's source code lives.
public enum HubBuildProvider: String, Sendable, Hashable, Codable, CaseIterable {
    /// GitHub.
    case github
    /// Bitbucket.
    case bitbucket
}

/// The source provider of an automated build (``HubBuildProvider``).
public typealias BuildProvider = HubBuildProvider

/// What kind of source a build rule or trigger names.
public enum HubBuildSourceType: String, Sendable, Hashable, Codable, CaseIterable {
    /// A branch.
    case branch = "Branch"
    /// A tag.
    case tag = "Tag"
}

/// A repository's automated-build settings.
public struct HubBuildSettings: Sendable, Hashable, Codable {
    /// The settings' id.
    public var id: Int?
    /// Whether builds are on.
    public var active: Bool
    /// Where the source lives; `nil` for a provider this SDK does not know.
    public var provider: HubBuildProvider?
    /// The source repository, e.g. `acme/builder-src`.
    public var sourceRepository: String?
    /// The source's web URL.
    public var sourceWebURL: String?
    /// The build rules.
    public var rules: [HubBuildRule]

    enum CodingKeys: String, CodingKey {
        case id, active, provider
        case sourceRepository = "vcs_repo_name", sourceWebURL = "repo_web_url", rules = "build_tags"
    }

    /// Decodes leniently.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = c.lenientInt(.id)
        active = c.lenientBool(.active) ?? false
        provider = c.lenientString(.provider).flatMap(HubBuildProvider.init(rawValue:))
        sourceRepository = c.lenientString(.sourceRepository)
        sourceWebURL = c.lenientString(.sourceWebURL)
        rules = c.lenientArray(HubBuildRule.self, .rules)
    }
}

/// A repository's build trigger: the URLs that start builds without a login.
public struct HubBuildTrigger: Sendable, Hashable, Codable {
    /// The trigger token (a secret).
    public var token: String?
    /// Whether the trigger works.
    public var active: Bool
    /// The legacy trigger URL (`…/u/NS/NAME/trigger/TOKEN/`).
    public var triggerURL: String?
    /// The current trigger URL (`…/api/build/v1/source/…/trigger/…/call/`).
    public var sourceTriggerURL: String?

    enum CodingKeys: String, CodingKey {
        case token, active, triggerURL = "trigger_url", sourceTriggerURL = "source_trigger_url"
    }

    /// Decodes leniently.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        token = c.lenientString(.token)
        active = c.lenientBool(.active) ?? false
        triggerURL = c.lenientString(.triggerURL)
        sourceTriggerURL = c.lenientString(.sourceTriggerURL)
    }
}

/// One call of a repository's trigger URL, from the trigger history.
public struct HubBuildTriggerEvent: Sendable, Hashable, Codable {
    /// The entry's id.
    public var id: Int?
    /// When the trigger URL was called.
    public var created: Date?
    /// The caller's address.
    public var ipAddress: String?
    /// The body the caller sent.
    public var requestBody: String?
    /// Which URL was called (`trigger_url`, `source_trigger`).
    public var via: String?
    /// The outcome, e.g. `Success` or `No build rules matched`.
    public var result: String?
    /// What was built, e.g. `bc-… -> latest`.
    public var resultDescription: String?
    /// The codes of the builds started.
    public var builds: [String]

    enum CodingKeys: String, CodingKey {
        case id, created, via, result, builds
        case ipAddress = "ip_address", requestBody = "request_body", resultDescription = "result_desc"
    }

    /// Decodes leniently.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = c.lenientInt(.id)
        created = c.lenientDate(.created)
        ipAddress = c.lenientString(.ipAddress)
        requestBody = c.lenientString(.requestBody)
        via = c.lenientString(.via)
        result = c.lenientString(.result)
        resultDescription = c.lenientString(.resultDescription)
        builds = c.lenientArray(String.self, .builds)
    }
}
