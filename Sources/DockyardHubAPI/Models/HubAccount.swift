import Foundation

/// A Docker Hub user account (the current user, a public profile, an organization member or a team member).
public struct HubUser: Sendable, Hashable, Codable {
    /// The account id.
    public var id: String?
    /// The account UUID.
    public var uuid: String?
    /// The Docker ID.
    public var username: String
    /// The full name.
    public var fullName: String?
    /// Location.
    public var location: String?
    /// Company.
    public var company: String?
    /// Profile URL.
    public var profileURL: String?
    /// When the account was created.
    public var dateJoined: Date?
    /// `User`, `Organization` or `Invitee`.
    public var type: String?
    /// The email (members lists; group-member emails only for owners).
    public var email: String?

    enum CodingKeys: String, CodingKey {
        case id, uuid, username, location, company, type, email, orgname
        case fullName = "full_name", profileURL = "profile_url", dateJoined = "date_joined"
    }

    /// Decodes leniently (an organization profile names itself `orgname`).
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = c.lenientString(.id)
        uuid = c.lenientString(.uuid)
        username = c.lenientString(.username) ?? c.lenientString(.orgname) ?? ""
        fullName = c.lenientString(.fullName)
        location = c.lenientString(.location)
        company = c.lenientString(.company)
        profileURL = c.lenientString(.profileURL)
        dateJoined = c.lenientDate(.dateJoined)
        type = c.lenientString(.type)
        email = c.lenientString(.email)
    }

    /// Encodes with the Hub's field names.
    ///
    /// - Parameter encoder: The encoder to write to.
    /// - Throws: `EncodingError` when a value cannot be encoded.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encodeIfPresent(uuid, forKey: .uuid)
        try c.encode(username, forKey: .username)
        try c.encodeIfPresent(fullName, forKey: .fullName)
        try c.encodeIfPresent(location, forKey: .location)
        try c.encodeIfPresent(company, forKey: .company)
        try c.encodeIfPresent(profileURL, forKey: .profileURL)
        try c.encodeIfPresent(dateJoined, forKey: .dateJoined)
        try c.encodeIfPresent(type, forKey: .type)
        try c.encodeIfPresent(email, forKey: .email)
    }
}

/// A Docker Hub organization.
public struct HubOrganization: Sendable, Hashable, Codable {
    /// The organization id.
    public var id: String?
    /// The organization's name, e.g. `acme`.
    public var name: String
    /// The full name.
    public var fullName: String?
    /// Location.
    public var location: String?
    /// Company.
    public var company: String?
    /// Profile URL.
    public var profileURL: String?
    /// When it was created.
    public var dateJoined: Date?
    /// The caller's role (in "my organizations").
    public var userRole: HubRole?
    /// The caller's teams (in "my organizations").
    public var userGroups: [String]?
    /// How many teams it has.
    public var groupCount: Int?
    /// The plan.
    public var planName: String?
    /// Whether it is active.
    public var isActive: Bool?

    enum CodingKeys: String, CodingKey {
        case id, location, company
        case name = "orgname", fullName = "full_name", profileURL = "profile_url", dateJoined = "date_joined"
        case userRole = "user_role", userGroups = "user_groups", groupCount = "org_groups_count"
        case planName = "plan_name", isActive = "is_active"
    }

    /// Decodes leniently.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = c.lenientString(.id)
        name = try c.decode(String.self, forKey: .name)
        fullName = c.lenientString(.fullName)
        location = c.lenientString(.location)
        company = c.lenientString(.company)
        profileURL = c.lenientString(.profileURL)
        dateJoined = c.lenientDate(.dateJoined)
        userRole = c.lenientString(.userRole).map(HubRole.init(rawValue:))
        userGroups = c.lenient([String].self, .userGroups)
        groupCount = c.lenientInt(.groupCount)
        planName = c.lenientString(.planName)
        isActive = c.lenientBool(.isActive)
    }
}

/// An organization role. The Hub returns roles capitalised (`Owner`) and accepts them lowercase (`owner`);
/// comparison ignores case.
public struct HubRole: Sendable, Hashable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The role as the Hub spells it.
    public let rawValue: String

    /// Creates a role.
    ///
    /// - Parameter rawValue: The role's name, in any case.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Creates a role from a literal.
    ///
    /// - Parameter value: The role's name.
    public init(stringLiteral value: String) { self.rawValue = value }
    /// Decodes a role name.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    /// Encodes the role name.
    ///
    /// - Parameter encoder: The encoder to write to.
    /// - Throws: `EncodingError` when a value cannot be encoded.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Manages members, teams, tokens and settings.
    public static let owner = HubRole(rawValue: "owner")
    /// Creates repositories and administers every repository of the organization.
    public static let editor = HubRole(rawValue: "editor")
    /// Uses repositories through team permissions.
    public static let member = HubRole(rawValue: "member")
    /// Invited but not yet joined.
    public static let invitee = HubRole(rawValue: "invitee")

    /// The lowercase name the Hub's requests take.
    public var requestValue: String { rawValue.lowercased() }
    /// The role's name.
    public var description: String { rawValue }
    /// Roles are equal regardless of case.
    ///
    /// - Parameters:
    ///   - lhs: A role.
    ///   - rhs: Another role.
    /// - Returns: Whether their lowercase names are equal.
    public static func == (lhs: HubRole, rhs: HubRole) -> Bool { lhs.requestValue == rhs.requestValue }
    /// Hashes the lowercase name.
    ///
    /// - Parameter hasher: The hasher to feed.
    public func hash(into hasher: inout Hasher) { hasher.combine(requestValue) }
}

/// A member of an organization.
public struct HubOrganizationMember: Sendable, Hashable, Codable {
    /// The member's account.
    public var user: HubUser
    /// The member's role.
    public var role: HubRole?
    /// The teams the member belongs to.
    public var groups: [String]
    /// Whether the member is a guest.
    public var isGuest: Bool?
    /// The member's primary email.
    public var primaryEmail: String?
    /// When the member last logged in.
    public var lastLoggedInAt: Date?

    /// The Docker ID.
    public var username: String { user.username }

    enum CodingKeys: String, CodingKey {
        case role, groups, isGuest = "is_guest", primaryEmail = "primary_email", lastLoggedInAt = "last_logged_in_at"
    }

    /// Decodes the user fields and the membership fields of one object.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        user = try HubUser(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        role = c.lenientString(.role).map(HubRole.init(rawValue:))
        groups = c.lenientArray(String.self, .groups)
        isGuest = c.lenientBool(.isGuest)
        primaryEmail = c.lenientString(.primaryEmail)
        lastLoggedInAt = c.lenientDate(.lastLoggedInAt)
    }

    /// Encodes the user fields and the membership fields into one object.
    ///
    /// - Parameter encoder: The encoder to write to.
    /// - Throws: `EncodingError` when a value cannot be encoded.
    public func encode(to encoder: any Encoder) throws {
        try user.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(role, forKey: .role)
        try c.encode(groups, forKey: .groups)
        try c.encodeIfPresent(isGuest, forKey: .isGuest)
        try c.encodeIfPresent(primaryEmail, forKey: .primaryEmail)
        try c.encodeIfPresent(lastLoggedInAt, forKey: .lastLoggedInAt)
    }
}

/// A team (the Hub API calls them groups) of an organization.
public struct HubTeam: Sendable, Hashable, Codable {
    /// The team's numeric id (used for repository permissions).
    public var id: Int
    /// The team's UUID.
    public var uuid: String?
    /// The name.
    public var name: String
    /// The description.
    public var description: String?
    /// How many members it has.
    public var memberCount: Int?

    enum CodingKeys: String, CodingKey { case id, uuid, name, description, memberCount = "member_count" }

    /// Decodes leniently.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = c.lenientInt(.id) ?? 0
        uuid = c.lenientString(.uuid)
        name = try c.decode(String.self, forKey: .name)
        description = c.lenientString(.description)
        memberCount = c.lenientInt(.memberCount)
    }
}

/// A team's permission on a repository.
public struct HubTeamPermission: Sendable, Hashable, Codable {
    /// The team's id.
    public var teamID: Int
    /// The team's name.
    public var teamName: String?
    /// `read`, `write` or `admin`.
    public var permission: HubRepositoryPermission

    enum CodingKeys: String, CodingKey { case teamID = "group_id", teamName = "group_name", permission }
}

/// A permission level on a repository.
public enum HubRepositoryPermission: String, Sendable, Hashable, Codable, CaseIterable {
    /// Pull.
    case read
    /// Pull and push.
    case write
    /// Pull, push and administer.
    case admin
}

/// A pending invitation to an organization.
public struct HubInvite: Sendable, Hashable, Codable {
    /// The invite id.
    public var id: String
    /// Who sent it.
    public var inviterUsername: String?
    /// The Docker ID or email invited.
    public var invitee: String
    /// The organization.
    public var org: String?
    /// The team the invitee will join.
    public var team: String?
    /// The role the invitee will have.
    public var role: String?
    /// When it was sent.
    public var createdAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, invitee, org, team, role, inviterUsername = "inviter_username", createdAt = "created_at"
    }

    /// Decodes leniently.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = c.lenientString(.id) ?? ""
        inviterUsername = c.lenientString(.inviterUsername)
        invitee = c.lenientString(.invitee) ?? ""
        org = c.lenientString(.org)
        team = c.lenientString(.team)
        role = c.lenientString(.role)
        createdAt = c.lenientDate(.createdAt)
    }
}

/// The outcome of one invitee of a bulk invite.
public struct HubInviteResult: Sendable, Hashable, Codable {
    /// The Docker ID or email.
    public var invitee: String
    /// `invited`, `existing_org_member`, `invalid_email_or_docker_id` or `already_invited`.
    public var status: String
    /// The invite made (absent for a dry run or a refusal).
    public var invite: HubInvite?
}
