import Foundation
import NIOHTTP1

extension HubClient {
    /// The logged-in user.
    ///
    /// - Returns: The account of the session.
    /// - Throws: ``HubAPIError``; ``HubAPIError/Code/notLoggedIn`` without a session.
    public func currentUser() async throws -> HubUser {
        try await json(HubUser.self, .GET, try url("/v2/user/"), auth: .required)
    }

    /// A user's public profile (an organization's name gives the organization's profile).
    ///
    /// - Parameter username: The Docker ID.
    /// - Returns: The profile.
    /// - Throws: ``HubAPIError``; ``HubAPIError/Code/notFound`` for an unknown account.
    public func user(_ username: String) async throws -> HubUser {
        try await json(HubUser.self, .GET, try url("/v2/users/\(HubClient.segment(username))/"))
    }
}
