import DockyardTransport
import Foundation
import NIOHTTP1

/// The filters `docker search --filter` accepts, applied to results the way the docker daemon applies them.
public struct HubSearchFilters: Sendable, Hashable {
    /// Only official images (`true`), or only others (`false`); `nil` for both.
    public var isOfficial: Bool?
    /// Only automated builds (`true`) or only others (`false`); `nil` for both. Deprecated by the Hub.
    public var isAutomated: Bool?
    /// At least this many stars.
    public var minimumStars: Int?

    /// Creates filters.
    ///
    /// - Parameters:
    ///   - isOfficial: Official images only, others only, or both.
    ///   - isAutomated: Automated builds only, others only, or both.
    ///   - minimumStars: The fewest stars a result may have.
    public init(isOfficial: Bool? = nil, isAutomated: Bool? = nil, minimumStars: Int? = nil) {
        self.isOfficial = isOfficial
        self.isAutomated = isAutomated
        self.minimumStars = minimumStars
    }

    /// Parses `docker search --filter` values: `is-official=true|false`, `is-automated=true|false`, `stars=N`.
    ///
    /// As in the daemon, repeated `stars` filters keep the highest, and a repeated boolean filter must agree.
    ///
    /// - Parameter filters: The `KEY=VALUE` strings.
    /// - Throws: ``HubAPIError`` with code ``HubAPIError/Code/invalidArgument`` for an unknown key or a bad value.
    public init(parsing filters: [String]) throws(HubAPIError) {
        self.init()
        for filter in filters {
            guard let eq = filter.firstIndex(of: "=") else {
                throw HubAPIError(.invalidArgument, message: "bad format of filter (expected name=value): \(filter)")
            }
            let key = filter[..<eq].lowercased()
            let value = String(filter[filter.index(after: eq)...])
            switch key {
            case "is-official", "is-automated":
                let flag: Bool
                switch value.lowercased() {
                case "true", "1": flag = true
                case "false", "0": flag = false
                default: throw HubAPIError(.invalidArgument, message: "invalid filter '\(key)=\(value)'")
                }
                if key == "is-official" {
                    if let isOfficial, isOfficial != flag { throw HubAPIError(.invalidArgument, message: "conflicting filters for is-official") }
                    isOfficial = flag
                } else {
                    if let isAutomated, isAutomated != flag { throw HubAPIError(.invalidArgument, message: "conflicting filters for is-automated") }
                    isAutomated = flag
                }
            case "stars":
                guard let stars = Int(value) else { throw HubAPIError(.invalidArgument, message: "invalid filter 'stars=\(value)'") }
                minimumStars = max(minimumStars ?? stars, stars)
            default:
                throw HubAPIError(.invalidArgument, message: "invalid filter '\(key)'")
            }
        }
    }

    /// Whether a result passes every filter.
    ///
    /// - Parameter result: A search result.
    /// - Returns: `true` when it is kept.
    public func matches(_ result: HubSearchResult) -> Bool {
        if let isOfficial, result.isOfficial != isOfficial { return false }
        if let isAutomated, result.isAutomated != isAutomated { return false }
        if let minimumStars, result.starCount < minimumStars { return false }
        return true
    }
}

/// How the catalogue search orders results.
public enum HubCatalogSort: String, Sendable, Hashable, CaseIterable {
    /// Best match first (the default).
    case bestMatch = ""
    /// By pulls.
    case pullCount = "pull_count"
    /// By last update.
    case updatedAt = "updated_at"
}

extension HubClient {
    /// Searches Docker Hub as `docker search` does: `GET /v1/search` with `limit`, then the filters applied to
    /// the results client-side, as the docker daemon applies them.
    ///
    /// - Parameters:
    ///   - term: The search term.
    ///   - limit: Results to ask for, 1–100 (the daemon's default is 25).
    ///   - filters: Filters applied after the search.
    /// - Returns: The matching results, in the index's order.
    /// - Throws: ``HubAPIError``: ``HubAPIError/Code/invalidArgument`` for a limit out of range.
    public func search(_ term: String, limit: Int = 25, filters: HubSearchFilters = HubSearchFilters()) async throws -> [HubSearchResult] {
        guard (1...100).contains(limit) else {
            throw HubAPIError(.invalidArgument, message: "limit \(limit) is outside the range of [1, 100]")
        }
        struct Response: Decodable { var results: [HubSearchResult]? }
        let searchURL = try url("/v1/search", query: [
            URLQueryItem(name: "q", value: term), URLQueryItem(name: "n", value: String(limit)),
        ], base: configuration.effectiveSearchURL)
        let response = try await json(Response.self, .GET, searchURL, auth: .none)
        return (response.results ?? []).filter(filters.matches)
    }

    /// Every `/v1/search` result for a term, page after page (`page`/`n` paging).
    ///
    /// - Parameters:
    ///   - term: The search term.
    ///   - pageSize: Results per page, 1–100.
    /// - Returns: The results as a list.
    public func searchAll(_ term: String, pageSize: Int? = nil) -> PageSequence<HubSearchResult> {
        struct Response: Decodable {
            var numPages: Int?
            var numResults: Int?
            var page: Int?
            var results: [HubSearchResult]?
            enum CodingKeys: String, CodingKey { case numPages = "num_pages", numResults = "num_results", page, results }
        }
        let client = self
        return PageSequence(pageSize: pageSize ?? configuration.pageSize) { (cursor: HubPageCursor?, size: Int?) in
            let size = min(size ?? client.configuration.pageSize, 100)
            var number = 1
            if case .page(let n) = cursor { number = n }
            let searchURL = try client.url("/v1/search", query: [
                URLQueryItem(name: "q", value: term), URLQueryItem(name: "n", value: String(size)),
                URLQueryItem(name: "page", value: String(number)),
            ], base: client.configuration.effectiveSearchURL)
            let response = try await client.json(Response.self, .GET, searchURL, auth: .none)
            let more = number < (response.numPages ?? number)
            return HubFetchedPage(items: response.results ?? [], next: more ? .page(number + 1) : nil, totalCount: response.numResults)
        }
    }

    /// The Hub site's catalogue search (`GET /api/search/v4`), with badges, ordering and `from`/`size` paging.
    ///
    /// - Parameters:
    ///   - query: The search text; empty lists everything.
    ///   - badges: Only these badges: `official`, `verified_publisher`, `open_source`, `none`.
    ///   - sort: The order; best match by default.
    ///   - ascending: Sort ascending instead of descending (ignored for best match).
    ///   - pageSize: Results per request (at most 100).
    /// - Returns: Every result as a list.
    public func catalogSearch(
        _ query: String,
        badges: [String] = [],
        sort: HubCatalogSort = .bestMatch,
        ascending: Bool = false,
        pageSize: Int? = nil
    ) -> PageSequence<HubCatalogSearchResult> {
        struct Response: Decodable { var total: Int?; var results: [HubCatalogSearchResult]? }
        let client = self
        return PageSequence(pageSize: pageSize ?? configuration.pageSize) { (cursor: HubPageCursor?, size: Int?) in
            let size = min(size ?? client.configuration.pageSize, 100)
            var from = 0
            if case .offset(let offset) = cursor { from = offset }
            var query = [URLQueryItem(name: "query", value: query), URLQueryItem(name: "from", value: String(from)),
                         URLQueryItem(name: "size", value: String(size))]
            if !badges.isEmpty { query.append(URLQueryItem(name: "badges", value: badges.joined(separator: ","))) }
            if sort != .bestMatch {
                query.append(URLQueryItem(name: "sort", value: sort.rawValue))
                query.append(URLQueryItem(name: "order", value: ascending ? "asc" : "desc"))
            }
            let response = try await client.json(Response.self, .GET, try client.url("/api/search/v4", query: query))
            let items = response.results ?? []
            let next = from + items.count
            let more = !items.isEmpty && next < (response.total ?? 0)
            return HubFetchedPage(items: items, next: more ? .offset(next) : nil, totalCount: response.total)
        }
    }

    /// The repository search of `GET /v2/search/repositories/` (Django REST paging).
    ///
    /// - Parameters:
    ///   - query: The search text.
    ///   - officialOnly: Only official images.
    ///   - pageSize: Results per page.
    /// - Returns: Every result as a list.
    public func searchRepositories(_ query: String, officialOnly: Bool = false, pageSize: Int? = nil) -> PageSequence<HubRepositorySearchResult> {
        var items = [URLQueryItem(name: "query", value: query)]
        if officialOnly { items.append(URLQueryItem(name: "is_official", value: "true")) }
        return pagedList("/v2/search/repositories/", query: items, pageSize: pageSize)
    }
}

/// A result of `GET /v2/search/repositories/`.
public struct HubRepositorySearchResult: Sendable, Hashable, Codable {
    /// `namespace/name`, or the bare name of an official image.
    public var repoName: String
    /// The short description.
    public var shortDescription: String?
    /// Stars.
    public var starCount: Int?
    /// Pulls.
    public var pullCount: Int64?
    /// Whether it is official.
    public var isOfficial: Bool?
    /// Whether it is an automated build.
    public var isAutomated: Bool?

    enum CodingKeys: String, CodingKey {
        case repoName = "repo_name", shortDescription = "short_description", starCount = "star_count"
        case pullCount = "pull_count", isOfficial = "is_official", isAutomated = "is_automated"
    }

    /// Decodes leniently.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        repoName = try c.decode(String.self, forKey: .repoName)
        shortDescription = c.lenientString(.shortDescription)
        starCount = c.lenientInt(.starCount)
        pullCount = c.lenientInt64(.pullCount)
        isOfficial = c.lenientBool(.isOfficial)
        isAutomated = c.lenientBool(.isAutomated)
    }
}
