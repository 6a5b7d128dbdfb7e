import Foundation

/// A Docker Hub repository, as the repository list, the repository details and the legacy routes describe it.
///
/// Fields the Hub omits in some answers are optional; values of the wrong type (a `null` for a number, a string
/// for a boolean) are read leniently.
public struct HubRepository: Sendable, Hashable, Codable {
    /// The repository's name without namespace, e.g. `nginx`.
    public var name: String
    /// The namespace (user or organization), e.g. `library`.
    public var namespace: String
    /// `image`, or another repository type; `nil` when the Hub sends none.
    public var repositoryType: String?
    /// The numeric status (1 is active).
    public var status: Int?
    /// The status as text (`active`), in whatever case the Hub used.
    public var statusDescription: String?
    /// The short description.
    public var description: String?
    /// The full description (Markdown); only in details.
    public var fullDescription: String?
    /// Whether the repository is private.
    public var isPrivate: Bool
    /// Whether it is an automated-build repository.
    public var isAutomated: Bool?
    /// Stars.
    public var starCount: Int?
    /// Pulls.
    public var pullCount: Int64?
    /// When an image was last pushed.
    public var lastUpdated: Date?
    /// When the repository was last changed.
    public var lastModified: Date?
    /// When the repository was created.
    public var dateRegistered: Date?
    /// The caller's affiliation, when the Hub says.
    public var affiliation: String?
    /// Media types of the repository's content.
    public var mediaTypes: [String]
    /// Content types (`image`, …).
    public var contentTypes: [String]
    /// Categories.
    public var categories: [HubCategory]
    /// Bytes stored.
    public var storageSize: Int64?
    /// What the caller may do, in details.
    public var permissions: HubPermissions?
    /// Immutable-tags settings, in details.
    public var immutableTagsSettings: HubImmutableTagsSettings?
    /// The owning user, in details.
    public var user: String?
    /// Whether the caller starred it.
    public var hasStarred: Bool?

    /// `namespace/name`.
    public var fullName: String { "\(namespace)/\(name)" }

    /// The repository's path, for the calls about it: `hub.createWebhook(named:url:in: repository.path)`.
    public var path: HubRepositoryPath { HubRepositoryPath(namespace: namespace, name: name) }

    enum CodingKeys: String, CodingKey {
        case name, namespace, status, description, affiliation, categories, permissions, user
        case repositoryType = "repository_type", statusDescription = "status_description"
        case fullDescription = "full_description", isPrivate = "is_private", isAutomated = "is_automated"
        case starCount = "star_count", pullCount = "pull_count", lastUpdated = "last_updated"
        case lastModified = "last_modified", dateRegistered = "date_registered", mediaTypes = "media_types"
        case contentTypes = "content_types", storageSize = "storage_size"
        case immutableTagsSettings = "immutable_tags_settings", hasStarred = "has_starred"
    }

    /// Decodes leniently.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        namespace = c.lenientString(.namespace) ?? ""
        repositoryType = c.lenientString(.repositoryType)
        status = c.lenientInt(.status)
        statusDescription = c.lenientString(.statusDescription)
        description = c.lenientString(.description)
        fullDescription = c.lenientString(.fullDescription)
        isPrivate = c.lenientBool(.isPrivate) ?? false
        isAutomated = c.lenientBool(.isAutomated)
        starCount = c.lenientInt(.starCount)
        pullCount = c.lenientInt64(.pullCount)
        lastUpdated = c.lenientDate(.lastUpdated)
        lastModified = c.lenientDate(.lastModified)
        dateRegistered = c.lenientDate(.dateRegistered)
        affiliation = c.lenientString(.affiliation)
        mediaTypes = c.lenientArray(String.self, .mediaTypes)
        contentTypes = c.lenientArray(String.self, .contentTypes)
        categories = c.lenientArray(HubCategory.self, .categories)
        storageSize = c.lenientInt64(.storageSize)
        permissions = c.lenient(HubPermissions.self, .permissions)
        immutableTagsSettings = c.lenient(HubImmutableTagsSettings.self, .immutableTagsSettings)
        user = c.lenientString(.user)
        hasStarred = c.lenientBool(.hasStarred)
    }
}

/// A repository category.
public struct HubCategory: Sendable, Hashable, Codable {
    /// The display name.
    public var name: String
    /// The slug.
    public var slug: String
}

/// What the caller may do with a repository.
public struct HubPermissions: Sendable, Hashable, Codable {
    /// May pull and read.
    public var read: Bool
    /// May push.
    public var write: Bool
    /// May administer.
    public var admin: Bool
}

/// A repository's immutable-tags settings.
public struct HubImmutableTagsSettings: Sendable, Hashable, Codable {
    /// Whether tags matching a rule cannot be overwritten or deleted.
    public var enabled: Bool
    /// The rules: regular expressions over tag names.
    public var rules: [String]

    /// Creates settings.
    ///
    /// - Parameters:
    ///   - enabled: Whether the rules apply.
    ///   - rules: Regular expressions over tag names.
    public init(enabled: Bool, rules: [String]) {
        self.enabled = enabled
        self.rules = rules
    }

    enum CodingKeys: String, CodingKey { case enabled, rules }

    /// Decodes leniently (a `null` rule list is empty).
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = c.lenientBool(.enabled) ?? false
        rules = c.lenientArray(String.self, .rules)
    }
}
