import DockyardTransport
import Foundation
import NIOHTTP1

/// Which members an organization's member list includes.
public enum HubMemberType: String, Sendable, Hashable, CaseIterable {
    /// Members and invitees.
    case all
    /// Members only.
    case member
    /// Invitees only.
    case invitee
}

/// An organization's member list exported as CSV.
public struct HubMembersExport: Sendable, Hashable {
    /// The file name the Hub suggests (from `Content-Disposition`).
    public var filename: String?
    /// The CSV text.
    public var csv: String
}

extension HubClient {
    /// An organization's members.
    ///
    /// - Parameters:
    ///   - organization: The organization.
    ///   - search: Only members whose name or email contains this.
    ///   - role: Only members with this role.
    ///   - type: Members, invitees or both.
    ///   - pageSize: Items per page.
    /// - Returns: The members as a list.
    public func members(of organization: String, search: String? = nil, role: HubRole? = nil, type: HubMemberType? = nil, pageSize: Int? = nil) -> PageSequence<HubOrganizationMember> {
        var query: [URLQueryItem] = []
        if let search, !search.isEmpty { query.append(URLQueryItem(name: "search", value: search)) }
        if let role { query.append(URLQueryItem(name: "role", value: role.requestValue)) }
        if let type { query.append(URLQueryItem(name: "type", value: type.rawValue)) }
        return pagedList("/v2/orgs/\(HubClient.segment(organization))/members", query: query, pageSize: pageSize, auth: .required)
    }

    /// Changes a member's role.
    ///
    /// - Parameters:
    ///   - role: The new role (`owner`, `editor` or `member`).
    ///   - username: The member.
    ///   - organization: The organization.
    /// - Returns: The member as it is now.
    /// - Throws: ``HubAPIError``; ``HubAPIError/Code/invalidRequest`` when demoting the last owner.
    @discardableResult
    public func setRole(_ role: HubRole, of username: String, in organization: String) async throws -> HubOrganizationMember {
        struct Body: Encodable { var role: String }
        let body = try HubClient.encode(Body(role: role.requestValue))
        return try await json(HubOrganizationMember.self, .PUT, try url("/v2/orgs/\(HubClient.segment(organization))/members/\(HubClient.segment(username))"), body: body, auth: .required)
    }

    /// Removes a member from an organization.
    ///
    /// - Parameters:
    ///   - username: The member.
    ///   - organization: The organization.
    /// - Throws: ``HubAPIError``.
    public func removeMember(_ username: String, from organization: String) async throws {
        _ = try await send(.DELETE, try url("/v2/orgs/\(HubClient.segment(organization))/members/\(HubClient.segment(username))"), auth: .required)
    }

    /// Exports an organization's members as CSV (owners only).
    ///
    /// - Parameter organization: The organization.
    /// - Returns: The CSV and its suggested file name.
    /// - Throws: ``HubAPIError``.
    public func exportMembers(of organization: String) async throws -> HubMembersExport {
        let response = try await send(.GET, try url("/v2/orgs/\(HubClient.segment(organization))/members/export"), accept: "text/csv", auth: .required)
        var filename: String?
        if let disposition = response.headers.first(name: "Content-Disposition"), let range = disposition.range(of: "filename=") {
            filename = disposition[range.upperBound...].split(separator: ";").first.map {
                $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            }
        }
        return HubMembersExport(filename: filename, csv: String(decoding: response.body, as: UTF8.self))
    }
}
