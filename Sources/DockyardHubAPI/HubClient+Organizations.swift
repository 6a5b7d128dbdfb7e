import DockyardTransport
import Foundation
import NIOHTTP1

extension HubClient {
    /// The organizations the logged-in user belongs to, with the user's role and teams in each.
    ///
    /// - Parameter pageSize: Items per page.
    /// - Returns: The organizations as a list.
    public func organizations(pageSize: Int? = nil) -> PageSequence<HubOrganization> {
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

extension HubClient {
    /// An organization's settings (members may read them; owners change them).
    ///
    /// - Parameter organization: The organization.
    /// - Returns: The settings.
    /// - Throws: ``HubAPIError``.
    public func organizationSettings(of organization: String) async throws -> HubOrganizationSettings {
        try await json(HubOrganizationSettings.self, .GET, try url("/v2/orgs/\(HubClient.segment(organization))/settings"), auth: .required)
    }

    /// Replaces an organization's settings (owners only).
    ///
    /// - Parameters:
    ///   - settings: The new settings.
    ///   - organization: The organization.
    /// - Returns: The settings as they are now.
    /// - Throws: ``HubAPIError``.
    @discardableResult
    public func updateOrganizationSettings(_ settings: HubOrganizationSettings, of organization: String) async throws -> HubOrganizationSettings {
        let body = try HubClient.encode(settings)
        return try await json(HubOrganizationSettings.self, .PUT, try url("/v2/orgs/\(HubClient.segment(organization))/settings"), body: body, auth: .required)
    }

    /// An account's audit log, newest first (`{logs: […]}` pages, read until a short or empty page).
    ///
    /// - Parameters:
    ///   - account: The organization (or user).
    ///   - action: Only this action, e.g. `repo.tag.push`.
    ///   - name: Only events on this object.
    ///   - actor: Only events by this user.
    ///   - from: Only events at or after this time.
    ///   - to: Only events at or before this time.
    ///   - pageSize: Items per page.
    /// - Returns: The events as a list.
    public func auditLog(of account: String, action: String? = nil, name: String? = nil, actor: String? = nil, from: Date? = nil, to: Date? = nil, pageSize: Int? = nil) -> PageSequence<HubAuditLogEntry> {
        var query: [URLQueryItem] = []
        if let action { query.append(URLQueryItem(name: "action", value: action)) }
        if let name { query.append(URLQueryItem(name: "name", value: name)) }
        if let actor { query.append(URLQueryItem(name: "actor", value: actor)) }
        if let from { query.append(URLQueryItem(name: "from", value: HubJSON.formatDate(from))) }
        if let to { query.append(URLQueryItem(name: "to", value: HubJSON.formatDate(to))) }
        let filters = query
        let client = self
        let path = "/v2/auditlogs/\(HubClient.segment(account))"
        return PageSequence(pageSize: pageSize ?? configuration.pageSize) { (cursor: HubPageCursor?, size: Int?) in
            let size = size ?? client.configuration.pageSize
            var number = 1
            if case .page(let n) = cursor { number = n }
            let pageURL = try client.url(path, query: filters + [
                URLQueryItem(name: "page", value: String(number)), URLQueryItem(name: "page_size", value: String(size)),
            ])
            let envelope = try await client.json(PageEnvelope<HubAuditLogEntry>.self, .GET, pageURL, auth: .required)
            let full = envelope.results.count >= size
            return HubFetchedPage(items: envelope.results, next: full ? .page(number + 1) : nil, totalCount: envelope.count)
        }
    }
}
