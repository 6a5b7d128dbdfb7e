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
    /// for try await page in client.tags(in: repository, pageSize: 100).pages { print(page.count) }
    /// ```
    ///
    /// See the OCI distribution specification, "Listing tags".
    ///
    /// - Parameters:
    ///   - repository: The repository.
    ///   - pageSize: The `n` parameter, or `nil` to let the registry choose.
    /// - Returns: The tags, in the registry's order.
    public func tags(in repository: Repository, pageSize: Int? = nil) -> TagSequence {
        let client = self
        let first = Result { try RegistryClient.listURL(try baseURL(for: repository).appendingPathComponent("tags/list"), pageSize: pageSize) }
        return TagSequence(pages: PageSequence(first: first) { url in
            let request = TransportRequest(method: .GET, url: url)
            let response = try await client.send(request, repository: repository, actions: [.pull])
            let body: TagList = try await client.decodeList(response, request: request, subject: repository.name)
            return (body.tags ?? [], try RegistryClient.nextPage(response, current: url))
        })
    }

    /// Lists the repositories of a registry across every page (`/v2/_catalog`).
    ///
    /// Registries usually restrict the catalog to administrators (Docker Hub does not offer it).
    ///
    /// - Parameters:
    ///   - registry: The registry name, e.g. `127.0.0.1:5000`.
    ///   - pageSize: The `n` parameter, or `nil` to let the registry choose.
    /// - Returns: The repository paths, e.g. `library/ubuntu`.
    public func catalog(registry: String, pageSize: Int? = nil) -> CatalogSequence {
        let client = self
        let first = Result { try RegistryClient.listURL(try registryURL(forRegistry: registry).appendingPathComponent("_catalog"), pageSize: pageSize) }
        return CatalogSequence(pages: PageSequence(first: first) { url in
            let request = TransportRequest(method: .GET, url: url)
            let response = try await client.send(
                request, registry: client.credentialKey(for: request, registry: registry), scopes: [.catalog])
            let body: RepositoryList = try await client.decodeList(response, request: request, subject: registry)
            return (body.repositories ?? [], try RegistryClient.nextPage(response, current: url))
        })
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

/// An asynchronous sequence of list pages, each fetched when the iterator asks for it.
///
/// The sequence stops after the page without a `Link: rel="next"` header, or when a page points at itself.
public struct PageSequence<Item: Sendable>: AsyncSequence, Sendable {
    /// One page: the items of one registry response.
    public typealias Element = [Item]

    let first: Result<URL, any Error>
    let fetch: @Sendable (URL) async throws -> (items: [Item], next: URL?)

    init(first: Result<URL, any Error>, fetch: @escaping @Sendable (URL) async throws -> (items: [Item], next: URL?)) {
        self.first = first
        self.fetch = fetch
    }

    /// Makes the iterator.
    ///
    /// - Returns: An iterator that fetches the first page when first asked.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(next: first, fetch: fetch) }

    /// The iterator of a ``PageSequence``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private var next: Result<URL, any Error>?
        private var visited: Set<URL> = []
        private let fetch: @Sendable (URL) async throws -> (items: [Item], next: URL?)

        init(next: Result<URL, any Error>, fetch: @escaping @Sendable (URL) async throws -> (items: [Item], next: URL?)) {
            self.next = next
            self.fetch = fetch
        }

        /// Fetches the next page, or returns `nil` after the last one.
        ///
        /// - Returns: The items of the next page, or `nil` when there is none.
        /// - Throws: ``RegistryError``, `AuthError` or `TransportError`.
        public mutating func next() async throws -> [Item]? {
            guard let current = next else { return nil }
            next = nil
            let url = try current.get()
            visited.insert(url)
            let page = try await fetch(url)
            if let following = page.next, !visited.contains(following) { next = .success(following) }
            return page.items
        }
    }
}

extension PageSequence {
    /// An iterator over the items of every page, one by one (what ``TagSequence`` and ``CatalogSequence`` iterate).
    func makeItemIterator() -> FlatteningIterator<Item> { FlatteningIterator(makeAsyncIterator()) }

    /// Every item of every page, in order.
    func allItems() async throws -> [Item] {
        var all: [Item] = []
        for try await page in self { all += page }
        return all
    }
}

/// A repository's tags across every page, fetched on demand; see ``RegistryClient/tags(in:pageSize:)``.
public struct TagSequence: AsyncSequence, Sendable {
    /// A tag.
    public typealias Element = String

    /// The pages themselves, one array of tags per registry response.
    public let pages: PageSequence<String>

    /// Makes the iterator.
    ///
    /// - Returns: An iterator over the items of every page, fetching each page when it is reached.
    public func makeAsyncIterator() -> FlatteningIterator<String> { pages.makeItemIterator() }

    /// Reads every tag into an array.
    ///
    /// - Returns: All tags.
    /// - Throws: ``RegistryError``, `AuthError` or `TransportError`.
    public func collect() async throws -> [String] { try await pages.allItems() }
}

/// A registry's repositories across every page, fetched on demand; see ``RegistryClient/catalog(registry:pageSize:)``.
public struct CatalogSequence: AsyncSequence, Sendable {
    /// A repository path, e.g. `library/ubuntu`.
    public typealias Element = String

    /// The pages themselves, one array of repository paths per registry response.
    public let pages: PageSequence<String>

    /// Makes the iterator.
    ///
    /// - Returns: An iterator over the items of every page, fetching each page when it is reached.
    public func makeAsyncIterator() -> FlatteningIterator<String> { pages.makeItemIterator() }

    /// Reads every repository path into an array.
    ///
    /// - Returns: All repository paths.
    /// - Throws: ``RegistryError``, `AuthError` or `TransportError`.
    public func collect() async throws -> [String] { try await pages.allItems() }
}

/// Iterates the items of a ``PageSequence`` one by one.
public struct FlatteningIterator<Item: Sendable>: AsyncIteratorProtocol {
    private var pages: PageSequence<Item>.AsyncIterator
    private var buffer: [Item] = []
    private var position = 0

    init(_ pages: PageSequence<Item>.AsyncIterator) { self.pages = pages }

    /// Returns the next item, fetching the next page when the current one is used up.
    ///
    /// - Returns: The next item, or `nil` after the last one.
    /// - Throws: ``RegistryError``, `AuthError` or `TransportError`.
    public mutating func next() async throws -> Item? {
        while position == buffer.count {
            guard let page = try await pages.next() else { return nil }
            buffer = page
            position = 0
        }
        defer { position += 1 }
        return buffer[position]
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
    public func tags(of reference: ImageReference, pageSize: Int? = nil) -> TagSequence {
        tags(in: reference.repository, pageSize: pageSize)
    }
}
