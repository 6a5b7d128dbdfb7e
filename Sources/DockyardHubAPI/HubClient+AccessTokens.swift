import DockyardTransport
import Foundation
import NIOHTTP1

extension HubClient {
    /// The logged-in user's personal access tokens (secrets are not included).
    ///
    /// Tokens issued from a personal access token may not use this route (``HubAPIError/Code/forbidden``): log in
    /// with a password.
    ///
    /// - Parameter pageSize: Items per page.
    /// - Returns: The tokens as a list.
    public func accessTokens(pageSize: Int? = nil) -> PageSequence<HubAccessToken> {
        pagedList("/v2/access-tokens", pageSize: pageSize, auth: .required)
    }

    /// One personal access token.
    ///
    /// - Parameter uuid: The token's UUID.
    /// - Returns: The token, without its secret.
    /// - Throws: ``HubAPIError``.
    public func accessToken(_ uuid: String) async throws -> HubAccessToken {
        try await json(HubAccessToken.self, .GET, try url("/v2/access-tokens/\(HubClient.segment(uuid))"), auth: .required)
    }

    /// Creates a personal access token. The answer is the only time its secret (``HubAccessToken/token``) is shown.
    ///
    /// - Parameters:
    ///   - label: The token's label.
    ///   - scopes: `repo:admin`, `repo:write`, `repo:read` or `repo:public_read`.
    ///   - expiresAt: When it expires; `nil` for never.
    /// - Returns: The token with its secret.
    /// - Throws: ``HubAPIError``.
    public func createAccessToken(label: String, scopes: [String], expiresAt: Date? = nil) async throws -> HubAccessToken {
        struct Body: Encodable {
            var tokenLabel: String; var scopes: [String]; var expiresAt: Date?
            enum CodingKeys: String, CodingKey { case tokenLabel = "token_label", scopes, expiresAt = "expires_at" }
        }
        let body = try HubClient.encode(Body(tokenLabel: label, scopes: scopes, expiresAt: expiresAt))
        return try await json(HubAccessToken.self, .POST, try url("/v2/access-tokens"), body: body, auth: .required)
    }

    /// Renames, deactivates or reactivates a personal access token; a `nil` argument leaves that field alone.
    ///
    /// - Parameters:
    ///   - uuid: The token's UUID.
    ///   - label: The new label.
    ///   - isActive: `false` to deactivate (sessions made with it stop working), `true` to reactivate.
    /// - Returns: The token as it is now.
    /// - Throws: ``HubAPIError``.
    @discardableResult
    public func updateAccessToken(_ uuid: String, label: String? = nil, isActive: Bool? = nil) async throws -> HubAccessToken {
        struct Body: Encodable {
            var tokenLabel: String?; var isActive: Bool?
            enum CodingKeys: String, CodingKey { case tokenLabel = "token_label", isActive = "is_active" }
        }
        let body = try HubClient.encode(Body(tokenLabel: label, isActive: isActive))
        return try await json(HubAccessToken.self, .PATCH, try url("/v2/access-tokens/\(HubClient.segment(uuid))"), body: body, auth: .required)
    }

    /// Revokes (deletes) a personal access token.
    ///
    /// - Parameter uuid: The token's UUID.
    /// - Throws: ``HubAPIError``.
    public func revokeAccessToken(_ uuid: String) async throws {
        _ = try await send(.DELETE, try url("/v2/access-tokens/\(HubClient.segment(uuid))"), auth: .required)
    }

    /// An organization's access tokens (owners only).
    ///
    /// - Parameters:
    ///   - organization: The organization.
    ///   - pageSize: Items per page.
    /// - Returns: The tokens as a list.
    public func organizationAccessTokens(of organization: String, pageSize: Int? = nil) -> PageSequence<HubOrganizationAccessToken> {
        pagedList("/v2/orgs/\(HubClient.segment(organization))/access-tokens", pageSize: pageSize, auth: .required)
    }

    /// Creates an organization access token. The answer is the only time its secret is shown.
    ///
    /// - Parameters:
    ///   - organization: The organization.
    ///   - label: The token's label.
    ///   - description: What it is for.
    ///   - resources: What it grants, e.g. `repo-pull` on `acme/api`.
    ///   - expiresAt: When it expires; `nil` for never.
    /// - Returns: The token with its secret.
    /// - Throws: ``HubAPIError``.
    public func createOrganizationAccessToken(in organization: String, label: String, description: String? = nil, resources: [HubOrganizationAccessToken.Resource], expiresAt: Date? = nil) async throws -> HubOrganizationAccessToken {
        struct Body: Encodable {
            var label: String; var description: String?; var resources: [HubOrganizationAccessToken.Resource]; var expiresAt: Date?
            enum CodingKeys: String, CodingKey { case label, description, resources, expiresAt = "expires_at" }
        }
        let body = try HubClient.encode(Body(label: label, description: description, resources: resources, expiresAt: expiresAt))
        return try await json(HubOrganizationAccessToken.self, .POST, try url("/v2/orgs/\(HubClient.segment(organization))/access-tokens"), body: body, auth: .required)
    }

    /// Changes an organization access token; a `nil` argument leaves that field alone.
    ///
    /// - Parameters:
    ///   - id: The token's id.
    ///   - organization: The organization.
    ///   - label: The new label.
    ///   - description: The new description.
    ///   - isActive: `false` to deactivate.
    /// - Returns: The token as it is now.
    /// - Throws: ``HubAPIError``.
    @discardableResult
    public func updateOrganizationAccessToken(_ id: String, in organization: String, label: String? = nil, description: String? = nil, isActive: Bool? = nil) async throws -> HubOrganizationAccessToken {
        struct Body: Encodable {
            var label: String?; var description: String?; var isActive: Bool?
            enum CodingKeys: String, CodingKey { case label, description, isActive = "is_active" }
        }
        let body = try HubClient.encode(Body(label: label, description: description, isActive: isActive))
        return try await json(HubOrganizationAccessToken.self, .PATCH, try url("/v2/orgs/\(HubClient.segment(organization))/access-tokens/\(HubClient.segment(id))"), body: body, auth: .required)
    }

    /// Deletes an organization access token.
    ///
    /// - Parameters:
    ///   - id: The token's id.
    ///   - organization: The organization.
    /// - Throws: ``HubAPIError``.
    public func deleteOrganizationAccessToken(_ id: String, in organization: String) async throws {
        _ = try await send(.DELETE, try url("/v2/orgs/\(HubClient.segment(organization))/access-tokens/\(HubClient.segment(id))"), auth: .required)
    }
}
