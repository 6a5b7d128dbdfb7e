import Foundation

/// A personal access token (PAT). Its secret (`token`) is shown only in the answer to its creation.
public struct HubAccessToken: Sendable, Hashable, Codable {
    /// The token's UUID.
    public var uuid: String
    /// The label.
    public var label: String
    /// Scopes such as `repo:read`, `repo:write`, `repo:admin`, `repo:public_read`.
    public var scopes: [String]
    /// Whether it can be used.
    public var isActive: Bool
    /// When it was made.
    public var createdAt: Date?
    /// When it was last used.
    public var lastUsed: Date?
    /// When it expires; `nil` for never.
    public var expiresAt: Date?
    /// `manual` or another generator.
    public var generatedBy: String?
    /// The secret `dckr_pat_…`, only right after creation; `nil` in lists (where the Hub sends `""`).
    public var token: String?

    enum CodingKeys: String, CodingKey {
        case uuid, scopes, token
        case label = "token_label", isActive = "is_active", createdAt = "created_at", lastUsed = "last_used"
        case expiresAt = "expires_at", generatedBy = "generated_by"
    }

    /// Decodes leniently (`expires_at` may be `null`, `token` empty).
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        uuid = try c.decode(String.self, forKey: .uuid)
        label = c.lenientString(.label) ?? ""
        scopes = c.lenientArray(String.self, .scopes)
        isActive = c.lenientBool(.isActive) ?? false
        createdAt = c.lenientDate(.createdAt)
        lastUsed = c.lenientDate(.lastUsed)
        expiresAt = c.lenientDate(.expiresAt)
        generatedBy = c.lenientString(.generatedBy)
        token = c.lenientString(.token).flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// An organization access token (OAT). Its secret is shown only in the answer to its creation.
public struct HubOrganizationAccessToken: Sendable, Hashable, Codable {
    /// The token's id.
    public var id: String
    /// The label.
    public var label: String
    /// The description.
    public var description: String?
    /// Who made it.
    public var createdBy: String?
    /// Whether it can be used.
    public var isActive: Bool
    /// When it was made.
    public var createdAt: Date?
    /// When it expires; `nil` for never.
    public var expiresAt: Date?
    /// When it was last used.
    public var lastUsedAt: Date?
    /// The secret `dckr_oat_…`, only right after creation.
    public var token: String?
    /// What it grants.
    public var resources: [Resource]

    /// One grant of an organization access token.
    public struct Resource: Sendable, Hashable, Codable {
        /// `TYPE_REPO` (or another resource type).
        public var type: String
        /// The repository path, e.g. `acme/api`, `acme/*`.
        public var path: String
        /// Scopes such as `repo-pull`, `repo-push`.
        public var scopes: [String]

        /// Creates a grant.
        ///
        /// - Parameters:
        ///   - type: The resource type.
        ///   - path: The repository path or pattern.
        ///   - scopes: The scopes granted.
        public init(type: String = "TYPE_REPO", path: String, scopes: [String]) {
            self.type = type
            self.path = path
            self.scopes = scopes
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, label, description, token, resources
        case createdBy = "created_by", isActive = "is_active", createdAt = "created_at"
        case expiresAt = "expires_at", lastUsedAt = "last_used_at"
    }

    /// Decodes leniently.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = c.lenientString(.id) ?? ""
        label = c.lenientString(.label) ?? ""
        description = c.lenientString(.description)
        createdBy = c.lenientString(.createdBy)
        isActive = c.lenientBool(.isActive) ?? false
        createdAt = c.lenientDate(.createdAt)
        expiresAt = c.lenientDate(.expiresAt)
        lastUsedAt = c.lenientDate(.lastUsedAt)
        token = c.lenientString(.token).flatMap { $0.isEmpty ? nil : $0 }
        resources = c.lenientArray(Resource.self, .resources)
    }
}
