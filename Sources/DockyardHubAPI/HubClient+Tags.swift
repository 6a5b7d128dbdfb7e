import DockyardTransport
import Foundation
import NIOHTTP1

extension HubClient {
    /// A repository's tags, newest first, each with its per-platform images.
    ///
    /// `GET /v2/namespaces/{namespace}/repositories/{repository}/tags`, every page.
    ///
    /// - Parameters:
    ///   - path: The repository.
    ///   - pageSize: Items per page (1–100).
    /// - Returns: The tags as a list; iterating throws ``HubAPIError``.
    public func tags(in path: HubRepositoryPath, pageSize: Int? = nil) -> PageSequence<HubTag> {
        pagedList("/v2/namespaces/\(path.ns)/repositories/\(path.repo)/tags", pageSize: pageSize)
    }

    /// One tag.
    ///
    /// - Parameters:
    ///   - name: The tag.
    ///   - path: The repository.
    /// - Returns: The tag with its images.
    /// - Throws: ``HubAPIError``; ``HubAPIError/Code/notFound`` for an unknown tag.
    public func tag(_ name: String, in path: HubRepositoryPath) async throws -> HubTag {
        try await json(HubTag.self, .GET, try url("/v2/namespaces/\(path.ns)/repositories/\(path.repo)/tags/\(HubClient.segment(name))"))
    }

    /// Deletes a tag.
    ///
    /// - Parameters:
    ///   - name: The tag.
    ///   - path: The repository.
    /// - Throws: ``HubAPIError``; ``HubAPIError/Code/invalidRequest`` for a tag an immutable-tags rule protects.
    public func deleteTag(_ name: String, in path: HubRepositoryPath) async throws {
        _ = try await send(.DELETE, try url("/v2/repositories/\(path.ns)/\(path.repo)/tags/\(HubClient.segment(name))/"), auth: .required)
    }
}
