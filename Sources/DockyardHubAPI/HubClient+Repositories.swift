import DockyardTransport
import Foundation
import NIOHTTP1

/// How a namespace's repository list is ordered.
public enum HubRepositoryOrdering: String, Sendable, Hashable, CaseIterable {
    /// By name, A to Z.
    case name
    /// By name, Z to A.
    case nameDescending = "-name"
    /// Least recently updated first.
    case lastUpdated = "last_updated"
    /// Most recently updated first.
    case lastUpdatedDescending = "-last_updated"
    /// Fewest pulls first.
    case pullCount = "pull_count"
    /// Most pulls first.
    case pullCountDescending = "-pull_count"
}

extension HubClient {
    /// The repositories of a namespace that the caller may see (private ones only with access).
    ///
    /// `GET /v2/namespaces/{namespace}/repositories`, every page.
    ///
    /// - Parameters:
    ///   - namespace: A user or organization.
    ///   - name: Only repositories whose name contains this.
    ///   - ordering: The order; registration order by default.
    ///   - pageSize: Items per page (1–100).
    /// - Returns: The repositories as a list; iterating throws ``HubAPIError`` (``HubAPIError/Code/notFound`` for an
    ///   unknown namespace).
    public func repositories(in namespace: String, name: String? = nil, ordering: HubRepositoryOrdering? = nil, pageSize: Int? = nil) -> PageSequence<HubRepository> {
        var query: [URLQueryItem] = []
        if let name, !name.isEmpty { query.append(URLQueryItem(name: "name", value: name)) }
        if let ordering { query.append(URLQueryItem(name: "ordering", value: ordering.rawValue)) }
        return pagedList("/v2/namespaces/\(HubClient.segment(namespace))/repositories", query: query, pageSize: pageSize)
    }

    /// A repository's details.
    ///
    /// - Parameter path: The repository.
    /// - Returns: The repository, with its full description, permissions and immutable-tags settings.
    /// - Throws: ``HubAPIError``; ``HubAPIError/Code/notFound`` when it does not exist or is private to others.
    public func repository(_ path: HubRepositoryPath) async throws -> HubRepository {
        try await json(HubRepository.self, .GET, try url("/v2/namespaces/\(path.ns)/repositories/\(path.repo)"))
    }

    /// Whether a repository exists and the caller may see it (`HEAD`).
    ///
    /// - Parameter path: The repository.
    /// - Returns: `true` when it exists and is visible.
    /// - Throws: ``HubAPIError`` for anything but 200 and 404.
    public func repositoryExists(_ path: HubRepositoryPath) async throws -> Bool {
        let response = try await perform(.HEAD, try url("/v2/namespaces/\(path.ns)/repositories/\(path.repo)"))
        switch response.status {
        case 200..<300: return true
        case 404: return false
        default: throw HubAPIError.decode(status: response.status, body: response.body, method: "HEAD", url: response.url)
        }
    }

    /// Creates a repository.
    ///
    /// - Parameters:
    ///   - path: The repository to create.
    ///   - isPrivate: Whether only the owner (and granted teams) may see it.
    ///   - description: The short description.
    ///   - fullDescription: The full description (Markdown).
    /// - Returns: The new repository.
    /// - Throws: ``HubAPIError``; ``HubAPIError/Code/invalidRequest`` for a taken or invalid name.
    @discardableResult
    public func createRepository(_ path: HubRepositoryPath, isPrivate: Bool = false, description: String? = nil, fullDescription: String? = nil) async throws -> HubRepository {
        struct Body: Encodable {
            var name: String; var namespace: String; var isPrivate: Bool; var description: String?; var fullDescription: String?
            enum CodingKeys: String, CodingKey { case name, namespace, description, isPrivate = "is_private", fullDescription = "full_description" }
        }
        let body = try HubClient.encode(Body(name: path.name, namespace: path.namespace, isPrivate: isPrivate, description: description, fullDescription: fullDescription))
        return try await json(HubRepository.self, .POST, try url("/v2/namespaces/\(path.ns)/repositories"), body: body, auth: .required)
    }

    /// Changes a repository's descriptions; a `nil` argument leaves that description alone.
    ///
    /// - Parameters:
    ///   - path: The repository.
    ///   - description: The new short description.
    ///   - fullDescription: The new full description (Markdown).
    /// - Returns: The repository as it is now.
    /// - Throws: ``HubAPIError``; ``HubAPIError/Code/forbidden`` without admin rights.
    @discardableResult
    public func updateRepository(_ path: HubRepositoryPath, description: String? = nil, fullDescription: String? = nil) async throws -> HubRepository {
        struct Body: Encodable {
            var description: String?; var fullDescription: String?
            enum CodingKeys: String, CodingKey { case description, fullDescription = "full_description" }
        }
        let body = try HubClient.encode(Body(description: description, fullDescription: fullDescription))
        return try await json(HubRepository.self, .PATCH, try url("/v2/repositories/\(path.ns)/\(path.repo)/"), body: body, auth: .required)
    }

    /// Makes a repository private or public.
    ///
    /// - Parameters:
    ///   - path: The repository.
    ///   - isPrivate: `true` for private.
    /// - Returns: The repository as it is now.
    /// - Throws: ``HubAPIError``.
    @discardableResult
    public func setPrivacy(_ path: HubRepositoryPath, isPrivate: Bool) async throws -> HubRepository {
        struct Body: Encodable { var isPrivate: Bool; enum CodingKeys: String, CodingKey { case isPrivate = "is_private" } }
        let body = try HubClient.encode(Body(isPrivate: isPrivate))
        return try await json(HubRepository.self, .POST, try url("/v2/repositories/\(path.ns)/\(path.repo)/privacy"), body: body, auth: .required)
    }

    /// Deletes a repository and every tag in it.
    ///
    /// - Parameter path: The repository.
    /// - Throws: ``HubAPIError``.
    public func deleteRepository(_ path: HubRepositoryPath) async throws {
        _ = try await send(.DELETE, try url("/v2/repositories/\(path.ns)/\(path.repo)/"), auth: .required)
    }

    /// Turns immutable tags on or off and sets their rules.
    ///
    /// - Parameters:
    ///   - settings: Whether tags are immutable and which (regular expressions).
    ///   - path: The repository.
    /// - Returns: The repository as it is now.
    /// - Throws: ``HubAPIError``.
    @discardableResult
    public func setImmutableTags(_ settings: HubImmutableTagsSettings, in path: HubRepositoryPath) async throws -> HubRepository {
        struct Body: Encodable {
            var immutableTags: Bool; var immutableTagsRules: [String]
            enum CodingKeys: String, CodingKey { case immutableTags = "immutable_tags", immutableTagsRules = "immutable_tags_rules" }
        }
        let body = try HubClient.encode(Body(immutableTags: settings.enabled, immutableTagsRules: settings.rules))
        return try await json(HubRepository.self, .PATCH, try url("/v2/namespaces/\(path.ns)/repositories/\(path.repo)/immutabletags"), body: body, auth: .required)
    }

    /// The existing tags an immutable-tags rule would protect.
    ///
    /// - Parameters:
    ///   - regex: The rule to try.
    ///   - path: The repository.
    /// - Returns: The tag names that match.
    /// - Throws: ``HubAPIError``.
    public func tagsMatchingImmutableRule(_ regex: String, in path: HubRepositoryPath) async throws -> [String] {
        struct Body: Encodable { var regex: String }
        struct Response: Decodable { var tags: [String]? }
        let body = try HubClient.encode(Body(regex: regex))
        let response = try await json(Response.self, .POST, try url("/v2/namespaces/\(path.ns)/repositories/\(path.repo)/immutabletags/verify"), body: body, auth: .required)
        return response.tags ?? []
    }

    /// Stars a repository as the logged-in user (starring twice counts once).
    ///
    /// Docker Hub's API lists no one's starred repositories; ``HubRepository/starCount`` and
    /// ``HubRepository/hasStarred`` tell a repository's stars.
    ///
    /// - Parameter path: The repository.
    /// - Throws: ``HubAPIError``; ``HubAPIError/Code/notFound`` for a repository the caller cannot see.
    public func star(_ path: HubRepositoryPath) async throws {
        _ = try await send(.POST, try url("/v2/repositories/\(path.ns)/\(path.repo)/stars/"), auth: .required)
    }

    /// Takes the logged-in user's star away from a repository (nothing happens without one).
    ///
    /// - Parameter path: The repository.
    /// - Throws: ``HubAPIError``.
    public func unstar(_ path: HubRepositoryPath) async throws {
        _ = try await send(.DELETE, try url("/v2/repositories/\(path.ns)/\(path.repo)/stars/"), auth: .required)
    }
}
