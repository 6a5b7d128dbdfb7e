import DockyardTransport
import Foundation
import NIOHTTP1

extension HubClient {
    /// An organization's teams.
    ///
    /// - Parameters:
    ///   - organization: The organization.
    ///   - search: Only teams whose name contains this.
    ///   - username: Only teams this user belongs to.
    ///   - pageSize: Items per page.
    /// - Returns: The teams as a list.
    public func teams(of organization: String, search: String? = nil, username: String? = nil, pageSize: Int? = nil) -> PageSequence<HubTeam> {
        var query: [URLQueryItem] = []
        if let search, !search.isEmpty { query.append(URLQueryItem(name: "search", value: search)) }
        if let username { query.append(URLQueryItem(name: "username", value: username)) }
        return pagedList("/v2/orgs/\(HubClient.segment(organization))/groups", query: query, pageSize: pageSize, auth: .required)
    }

    /// One team.
    ///
    /// - Parameters:
    ///   - name: The team.
    ///   - organization: The organization.
    /// - Returns: The team.
    /// - Throws: ``HubAPIError``.
    public func team(_ name: String, in organization: String) async throws -> HubTeam {
        try await json(HubTeam.self, .GET, try teamURL(name, organization), auth: .required)
    }

    /// Creates a team.
    ///
    /// - Parameters:
    ///   - name: 1–30 characters, unique in the organization.
    ///   - organization: The organization.
    ///   - description: What the team is for.
    /// - Returns: The new team.
    /// - Throws: ``HubAPIError``.
    @discardableResult
    public func createTeam(_ name: String, in organization: String, description: String? = nil) async throws -> HubTeam {
        struct Body: Encodable { var name: String; var description: String? }
        let body = try HubClient.encode(Body(name: name, description: description))
        return try await json(HubTeam.self, .POST, try url("/v2/orgs/\(HubClient.segment(organization))/groups"), body: body, auth: .required)
    }

    /// Renames a team or changes its description; a `nil` argument leaves that field alone.
    ///
    /// - Parameters:
    ///   - name: The team.
    ///   - organization: The organization.
    ///   - newName: The new name.
    ///   - description: The new description.
    /// - Returns: The team as it is now.
    /// - Throws: ``HubAPIError``.
    @discardableResult
    public func updateTeam(_ name: String, in organization: String, newName: String? = nil, description: String? = nil) async throws -> HubTeam {
        struct Body: Encodable { var name: String?; var description: String? }
        let body = try HubClient.encode(Body(name: newName, description: description))
        return try await json(HubTeam.self, .PATCH, try teamURL(name, organization), body: body, auth: .required)
    }

    /// Deletes a team (the `owners` team cannot be deleted).
    ///
    /// - Parameters:
    ///   - name: The team.
    ///   - organization: The organization.
    /// - Throws: ``HubAPIError``.
    public func deleteTeam(_ name: String, in organization: String) async throws {
        _ = try await send(.DELETE, try teamURL(name, organization), auth: .required)
    }

    /// A team's members.
    ///
    /// - Parameters:
    ///   - team: The team.
    ///   - organization: The organization.
    ///   - search: Only members whose name contains this.
    ///   - pageSize: Items per page.
    /// - Returns: The members as a list.
    public func teamMembers(of team: String, in organization: String, search: String? = nil, pageSize: Int? = nil) -> PageSequence<HubUser> {
        var query: [URLQueryItem] = []
        if let search, !search.isEmpty { query.append(URLQueryItem(name: "search", value: search)) }
        return pagedList("/v2/orgs/\(HubClient.segment(organization))/groups/\(HubClient.segment(team))/members", query: query, pageSize: pageSize, auth: .required)
    }

    /// Adds a user to a team (a non-member joins the organization as a member).
    ///
    /// - Parameters:
    ///   - username: The user.
    ///   - team: The team.
    ///   - organization: The organization.
    /// - Throws: ``HubAPIError``.
    public func addTeamMember(_ username: String, to team: String, in organization: String) async throws {
        struct Body: Encodable { var member: String }
        let body = try HubClient.encode(Body(member: username))
        _ = try await send(.POST, try url("/v2/orgs/\(HubClient.segment(organization))/groups/\(HubClient.segment(team))/members"), body: body, auth: .required)
    }

    /// Removes a user from a team.
    ///
    /// - Parameters:
    ///   - username: The user.
    ///   - team: The team.
    ///   - organization: The organization.
    /// - Throws: ``HubAPIError``.
    public func removeTeamMember(_ username: String, from team: String, in organization: String) async throws {
        _ = try await send(.DELETE, try url("/v2/orgs/\(HubClient.segment(organization))/groups/\(HubClient.segment(team))/members/\(HubClient.segment(username))"), auth: .required)
    }

    /// Gives a team a permission on one of the organization's repositories.
    ///
    /// - Parameters:
    ///   - permission: `read`, `write` or `admin`.
    ///   - teamID: The team's numeric id (``HubTeam/id``).
    ///   - path: The repository.
    /// - Returns: The permission as it is now.
    /// - Throws: ``HubAPIError``.
    @discardableResult
    public func grant(_ permission: HubRepositoryPermission, toTeam teamID: Int, in path: HubRepositoryPath) async throws -> HubTeamPermission {
        struct Body: Encodable {
            var groupID: Int; var permission: String
            enum CodingKeys: String, CodingKey { case groupID = "group_id", permission }
        }
        let body = try HubClient.encode(Body(groupID: teamID, permission: permission.rawValue))
        return try await json(HubTeamPermission.self, .POST, try url("/v2/repositories/\(path.ns)/\(path.repo)/groups"), body: body, auth: .required)
    }

    /// Gives a team, named, a permission on a repository of its organization.
    ///
    /// - Parameters:
    ///   - permission: `read`, `write` or `admin`.
    ///   - team: The team's name.
    ///   - path: The repository; its namespace is the organization.
    /// - Returns: The permission as it is now.
    /// - Throws: ``HubAPIError``.
    @discardableResult
    public func grant(_ permission: HubRepositoryPermission, toTeamNamed team: String, in path: HubRepositoryPath) async throws -> HubTeamPermission {
        let id = try await self.team(team, in: path.namespace).id
        return try await grant(permission, toTeam: id, in: path)
    }

    /// The team permissions on a repository.
    ///
    /// - Parameter path: The repository.
    /// - Returns: The permissions as a list.
    public func teamPermissions(in path: HubRepositoryPath) -> PageSequence<HubTeamPermission> {
        pagedList("/v2/repositories/\(path.ns)/\(path.repo)/groups/", auth: .required)
    }

    /// Takes a team's permission on a repository away.
    ///
    /// - Parameters:
    ///   - teamID: The team's numeric id.
    ///   - path: The repository.
    /// - Throws: ``HubAPIError``.
    public func revokePermission(ofTeam teamID: Int, in path: HubRepositoryPath) async throws {
        _ = try await send(.DELETE, try url("/v2/repositories/\(path.ns)/\(path.repo)/groups/\(teamID)/"), auth: .required)
    }

    private func teamURL(_ name: String, _ organization: String) throws(HubAPIError) -> URL {
        try url("/v2/orgs/\(HubClient.segment(organization))/groups/\(HubClient.segment(name))")
    }
}
