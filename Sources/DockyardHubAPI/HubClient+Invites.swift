import DockyardTransport
import Foundation
import NIOHTTP1

extension HubClient {
    /// Invites people to an organization by Docker ID or email.
    ///
    /// - Parameters:
    ///   - invitees: Docker IDs or emails.
    ///   - organization: The organization.
    ///   - team: The team they join.
    ///   - role: Their role.
    ///   - dryRun: Only report what would happen.
    /// - Returns: One result per invitee (`invited`, `existing_org_member`, `invalid_email_or_docker_id`, `already_invited`).
    /// - Throws: ``HubAPIError``.
    public func invite(_ invitees: [String], to organization: String, team: String? = nil, role: HubRole? = nil, dryRun: Bool = false) async throws -> [HubInviteResult] {
        struct Body: Encodable {
            var org: String; var team: String?; var role: String?; var invitees: [String]; var dryRun: Bool
            enum CodingKeys: String, CodingKey { case org, team, role, invitees, dryRun = "dry_run" }
        }
        struct Response: Decodable { var invitees: [HubInviteResult]? }
        let body = try HubClient.encode(Body(org: organization, team: team, role: role?.requestValue, invitees: invitees, dryRun: dryRun))
        return try await json(Response.self, .POST, try url("/v2/invites/bulk"), body: body, auth: .required).invitees ?? []
    }

    /// An organization's pending invites (answered in one `{data: […]}` document).
    ///
    /// - Parameter organization: The organization.
    /// - Returns: The invites as a list.
    public func invites(of organization: String) -> PageSequence<HubInvite> {
        singlePageList("/v2/orgs/\(HubClient.segment(organization))/invites", auth: .required)
    }

    /// Cancels an invite.
    ///
    /// - Parameter id: The invite's id.
    /// - Throws: ``HubAPIError``.
    public func cancelInvite(_ id: String) async throws {
        _ = try await send(.DELETE, try url("/v2/invites/\(HubClient.segment(id))"), auth: .required)
    }

    /// Sends an invite again.
    ///
    /// - Parameter id: The invite's id.
    /// - Throws: ``HubAPIError``.
    public func resendInvite(_ id: String) async throws {
        _ = try await send(.PATCH, try url("/v2/invites/\(HubClient.segment(id))/resend"), auth: .required)
    }
}
