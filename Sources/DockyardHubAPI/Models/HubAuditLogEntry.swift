import Foundation

/// One event of an account's audit log.
public struct HubAuditLogEntry: Sendable, Hashable, Codable {
    /// The organization or user whose log it is.
    public var account: String
    /// The action, e.g. `repo.tag.push`, `member.role.change`.
    public var action: String
    /// The object acted on, e.g. `acme/builder`.
    public var name: String?
    /// Who acted.
    public var actor: String?
    /// Details (digest, tag, role, …), as text.
    public var data: [String: String]
    /// When it happened.
    public var timestamp: Date?
    /// A sentence describing the event.
    public var actionDescription: String?

    enum CodingKeys: String, CodingKey {
        case account, action, name, actor, data, timestamp, actionDescription = "action_description"
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes leniently: `data` values of any scalar type become text.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        account = c.lenientString(.account) ?? ""
        action = c.lenientString(.action) ?? ""
        name = c.lenientString(.name)
        actor = c.lenientString(.actor)
        timestamp = c.lenientDate(.timestamp)
        actionDescription = c.lenientString(.actionDescription)
        var details: [String: String] = [:]
        if let nested = try? c.nestedContainer(keyedBy: AnyKey.self, forKey: .data) {
            for key in nested.allKeys {
                if let value = nested.lenientString(key) { details[key.stringValue] = value }
            }
        }
        data = details
    }
}

/// An organization's settings.
public struct HubOrganizationSettings: Sendable, Hashable, Codable {
    /// Which images members may use.
    public var restrictedImages: RestrictedImages

    /// Image access management: limits members to some kinds of images.
    public struct RestrictedImages: Sendable, Hashable, Codable {
        /// Whether the restriction is on.
        public var enabled: Bool
        /// Whether official images are allowed.
        public var allowOfficialImages: Bool
        /// Whether verified publishers' images are allowed.
        public var allowVerifiedPublishers: Bool

        /// Creates the setting.
        ///
        /// - Parameters:
        ///   - enabled: Whether the restriction is on.
        ///   - allowOfficialImages: Allow official images.
        ///   - allowVerifiedPublishers: Allow verified publishers' images.
        public init(enabled: Bool, allowOfficialImages: Bool, allowVerifiedPublishers: Bool) {
            self.enabled = enabled
            self.allowOfficialImages = allowOfficialImages
            self.allowVerifiedPublishers = allowVerifiedPublishers
        }

        enum CodingKeys: String, CodingKey {
            case enabled, allowOfficialImages = "allow_official_images", allowVerifiedPublishers = "allow_verified_publishers"
        }
    }

    /// Creates settings.
    ///
    /// - Parameter restrictedImages: The image restriction.
    public init(restrictedImages: RestrictedImages) { self.restrictedImages = restrictedImages }

    enum CodingKeys: String, CodingKey { case restrictedImages = "restricted_images" }
}
