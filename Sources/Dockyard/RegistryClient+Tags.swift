import DockyardAuth
import DockyardReferences
import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1

extension RegistryClient {
    /// Lists a repository's tags across every page.
    ///
    /// Pages are fetched on demand while the sequence is iterated, following the `Link: <…>; rel="next"` header
    /// (relative or absolute) with the `n` and `last` parameters.
    ///
    /// ```swift
    /// for try await tag in client.tags(in: repository) { print(tag) }
    /// let firstTen = try await client.tags(in: repository).collect(limit: 10)
    /// for try await page in client.tags(in: repository, pageSize: 100).pages { print(page.items.count) }
    /// ```
    ///
    /// See the OCI distribution specification, "Listing tags".
    ///
    /// - Parameters:
    ///   - repository: The repository.
    ///   - pageSize: The `n` parameter, or `nil` to let the registry choose.
    /// - Returns: The tags, in the registry's order, as the same `PageSequence` every Dockyard list is: iteration
    ///   throws ``RegistryError``, `AuthError` or `TransportError`, and `CancellationError` when the task is
    ///   cancelled.
    public func tags(in repository: Repository, pageSize: Int? = nil) -> PageSequence<String> {
        let client = self
        let base = Result { try baseURL(for: repository).appendingPathComponent("tags/list") }
        return RegistryClient.linkedList(base: base, pageSize: pageSize) { url in
            let request = TransportRequest(method: .GET, url: url)
            let response = try await client.send(request, repository: repository, actions: [.pull])
            let body: TagList = try await client.decodeList(response, request: request, subject: repository.name)
            return FetchedPage(items: body.tags ?? [], next: try RegistryClient.nextPage(response, current: url))
        }
    }

    /// Lists the repositories of a registry across every page (`/v2/_catalog`).
    ///
    /// Registries usually restrict the catalog to administrators (Docker Hub does not offer it).
    ///
    /// - Parameters:
    ///   - registry: The registry name, e.g. `127.0.0.1:5000`.
    ///   - pageSize: The `n` parameter, or `nil` to let the registry choose.
    /// - Returns: The repository paths, e.g. `library/ubuntu`, as a `PageSequence` fetched on demand; iteration
    ///   throws ``RegistryError``, `AuthError` or `TransportError`.
    public func catalog(registry: String, pageSize: Int? = nil) -> PageSequence<String> {
        let client = self
        let base = Result { try registryURL(forRegistry: registry).appendingPathComponent("_catalog") }
        return RegistryClient.linkedList(base: base, pageSize: pageSize) { url in
            let request = TransportRequest(method: .GET, url: url)
            let response = try await client.send(
                request, registry: client.credentialKey(for: request, registry: registry), scopes: [.catalog])
            let body: RepositoryList = try await client.decodeList(response, request: request, subject: registry)
            return FetchedPage(items: body.repositories ?? [], next: try RegistryClient.nextPage(response, current: url))
        }
    }

    /// A list whose pages link to each other with `Link: rel="next"` and whose first page takes the `n` parameter.
    ///
    /// The cursor is a page's URL. The first page's URL is the start cursor, so a link back to it ends the list;
    /// it is rebuilt with the sequence's current page size, so `pageSize(_:)` on the result takes effect.
    static func linkedList<Item: Sendable>(
        base: Result<URL, any Error>,
        pageSize: Int?,
        fetch: @escaping @Sendable (URL) async throws -> FetchedPage<Item, URL>
    ) -> PageSequence<Item> {
        let start = try? listURL(base.get(), pageSize: pageSize)
        return PageSequence(pageSize: pageSize, start: start) { (cursor: URL?, size: Int?) in
            let url: URL
            if let cursor, cursor != start {
                url = cursor
            } else {
                // The first page (and, when the base URL or page size is invalid, the error saying so).
                url = try listURL(base.get(), pageSize: size)
            }
            return try await fetch(url)
        }
    }

    private struct TagList: Decodable {
        var tags: [String]?
    }

    private struct RepositoryList: Decodable {
        var repositories: [String]?
    }

    /// Decodes a JSON list page (at most 4 MiB), or throws the registry's error.
    func decodeList<Page: Decodable>(
        _ response: TransportResponse,
        request: TransportRequest,
        subject: String
    ) async throws -> Page {
        guard response.status == .ok else { throw await failure(response, for: request, subject: subject) }
        let bytes = try await collectBody(
            response, for: request, subject: subject, refusal: "a list page is larger than 4 MiB; use a smaller page size")
        do {
            return try JSONDecoder().decode(Page.self, from: Data(bytes))
        } catch {
            throw RegistryError(
                code: .invalidResponse, status: 200, method: "GET", url: request.url, subject: subject,
                message: "the list page is not the expected JSON (\(error))")
        }
    }

    static func listURL(_ url: URL, pageSize: Int?) throws -> URL {
        guard let pageSize else { return url }
        guard pageSize > 0, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            throw RegistryError(
                code: .paginationNumberInvalid, method: "GET", url: url, subject: url.path,
                message: "the page size must be positive, got \(pageSize)")
        }
        components.queryItems = [URLQueryItem(name: "n", value: String(pageSize))]
        return components.url ?? url
    }

    /// The URL of the next page from a `Link` header, resolved against the current page's URL.
    static func nextPage(_ response: TransportResponse, current: URL) throws -> URL? {
        for value in response.headers[canonicalForm: "Link"] {
            guard let target = LinkHeader.nextTarget(String(value)) else { continue }
            guard let url = URL(string: target, relativeTo: response.url)?.absoluteURL
                ?? URL(string: target, relativeTo: current)?.absoluteURL
            else {
                throw RegistryError(
                    code: .invalidResponse, status: 200, method: "GET", url: current, subject: current.path,
                    message: "the Link header's next page '\(target)' is not a URL")
            }
            return url
        }
        return nil
    }
}

/// Reads RFC 8288 `Link` header values.
enum LinkHeader {
    /// The target of the `rel="next"` link in one header value (`<url>; rel="next"`), if any.
    static func nextTarget(_ value: String) -> String? {
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let target = rest[rest.index(after: open)..<close]
            let afterClose = rest.index(after: close)
            let nextOpen = rest[afterClose...].firstIndex(of: "<") ?? rest.endIndex
            if rest[afterClose..<nextOpen].split(separator: ";").contains(where: isNextRelation) { return String(target) }
            rest = rest[nextOpen...]
        }
        return nil
    }

    /// Whether one link parameter is `rel="next"` (or a space-separated relation list holding `next`).
    private static func isNextRelation(_ parameter: Substring) -> Bool {
        let pair = parameter.split(separator: "=", maxSplits: 1)
        guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "rel" else { return false }
        let relations = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\" ,\t")).lowercased()
        return relations.split(separator: " ").contains("next")
    }
}

extension RegistryClient {
    /// Lists the tags of the repository of a reference you already hold.
    ///
    /// ```swift
    /// let reference = try ImageReference(normalizing: "alpine:3.20")
    /// let tags = try await client.tags(of: reference).collect()
    /// ```
    ///
    /// - Parameters:
    ///   - reference: Any reference into the repository; its tag or digest is ignored.
    ///   - pageSize: The `n` parameter, or `nil` to let the registry choose.
    /// - Returns: The tags, fetched page by page while iterated, as ``tags(in:pageSize:)``.
    public func tags(of reference: ImageReference, pageSize: Int? = nil) -> PageSequence<String> {
        tags(in: reference.repository, pageSize: pageSize)
    }
}
