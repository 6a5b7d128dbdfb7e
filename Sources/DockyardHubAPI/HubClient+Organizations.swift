import Foundation

extension HubClient {
    /// The organizations the logged-in user belongs to, with the user's role and teams in each.
    ///
    /// - Parameter pageSize: Items per page.
    /// - Returns: The organizations as a list.
    public func organizations(pageSize: Int? = nil) -> HubList<HubOrganization> {
        pagedList("/v2/user/orgs/", pageSize: pageSize, auth: .required)
    }

    /// An organization's details.
    ///
    /// - Parameter name: The organization.
    /// - Returns: The organization.
    /// - Throws: ``HubAPIError``.
    public func organization(_ name: String) async throws -> HubOrganization {
        try await json(HubOrganization.self, .GET, try url("/v2/orgs/\(HubClient.segment(name))/"), auth: .required)
    }
}
