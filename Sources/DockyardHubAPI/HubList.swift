import Foundation

/// Where the next page of a list starts.
enum HubPageCursor: Sendable, Hashable {
    /// An absolute `next` URL the Hub gave.
    case url(URL)
    /// A 1-based page number.
    case page(Int)
    /// A 0-based item offset (`from`/`size` lists).
    case offset(Int)
}

/// One page of a Hub list.
public struct HubPage<Element: Sendable>: Sendable {
    /// The page's items.
    public var items: [Element]
    /// The list's total size, when the Hub reports it (`count`, `total`, `num_results`).
    public var totalCount: Int?
    /// Where the next page starts; `nil` on the last page.
    var next: HubPageCursor?

    /// Whether another page follows.
    public var hasNext: Bool { next != nil }

    init(items: [Element], totalCount: Int?, next: HubPageCursor?) {
        self.items = items
        self.totalCount = totalCount
        self.next = next
    }
}

/// A Hub list: an `AsyncSequence` of its items that fetches page after page on demand until the last.
///
/// Whatever paging style the endpoint uses (`next` links, `page`/`page_size`, `from`/`size`, `{total}`,
/// `{data}`), iterating a `HubList` yields every item of the list; ``pages`` yields the pages themselves.
/// Nothing is fetched until iteration starts, and a new iteration starts again from the first page.
public struct HubList<Element: Sendable>: AsyncSequence, Sendable {
    typealias Fetch = @Sendable (HubPageCursor?) async throws -> HubPage<Element>
    let fetch: Fetch

    init(fetch: @escaping Fetch) { self.fetch = fetch }

    /// The list page by page.
    public var pages: Pages { Pages(fetch: fetch) }

    /// Makes an iterator over every item.
    ///
    /// - Returns: A new iterator that starts at the first page.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pages: pages.makeAsyncIterator()) }

    /// Reads items into an array.
    ///
    /// - Parameter limit: The most items to read; `nil` reads the whole list.
    /// - Returns: The items, in list order.
    /// - Throws: ``HubAPIError`` or a transport error from any page.
    public func collect(limit: Int? = nil) async throws -> [Element] {
        var result: [Element] = []
        for try await item in self {
            if let limit, result.count >= limit { break }
            result.append(item)
        }
        return result
    }

    /// The iterator of a ``HubList``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var pages: Pages.AsyncIterator
        var buffer: [Element] = []
        var index = 0

        /// Returns the next item, fetching the next page when needed.
        ///
        /// - Returns: The next element, or `nil` after the last.
        /// - Throws: ``HubAPIError`` or a transport error when a page cannot be fetched.
        public mutating func next() async throws -> Element? {
            while index >= buffer.count {
                guard let page = try await pages.next() else { return nil }
                buffer = page.items
                index = 0
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    /// A Hub list page by page.
    public struct Pages: AsyncSequence, Sendable {
        let fetch: Fetch

        /// Makes an iterator over the pages.
        ///
        /// - Returns: A new iterator that starts at the first page.
        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(fetch: fetch) }

        /// The iterator over the pages of a ``HubList``.
        public struct AsyncIterator: AsyncIteratorProtocol {
            let fetch: Fetch
            var cursor: HubPageCursor?
            var started = false
            var finished = false
            var seen: Set<HubPageCursor> = []

            init(fetch: @escaping Fetch) { self.fetch = fetch }

            /// Returns the next page, or `nil` after the last.
            ///
            /// - Returns: The next element, or `nil` after the last.
            /// - Throws: ``HubAPIError`` or a transport error when a page cannot be fetched.
            public mutating func next() async throws -> HubPage<Element>? {
                guard !finished else { return nil }
                if started, cursor == nil { finished = true; return nil }
                started = true
                if let cursor {
                    // A server that links back to a page already read would loop forever: stop instead.
                    guard seen.insert(cursor).inserted else { finished = true; return nil }
                }
                let page = try await fetch(cursor)
                cursor = page.next
                if page.items.isEmpty { cursor = nil }
                if cursor == nil { finished = true }
                return page
            }
        }
    }
}

/// The envelopes of the Hub's paginated answers, decoded leniently.
struct PageEnvelope<Item: Decodable>: Decodable {
    var count: Int?
    var next: String?
    var results: [Item]

    enum CodingKeys: String, CodingKey { case count, total, next, results, data, logs }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        count = try container.decodeIfPresent(Int.self, forKey: .count) ?? container.decodeIfPresent(Int.self, forKey: .total)
        next = try container.decodeIfPresent(String.self, forKey: .next)
        results = try container.decodeIfPresent([Item].self, forKey: .results)
            ?? container.decodeIfPresent([Item].self, forKey: .data)
            ?? container.decodeIfPresent([Item].self, forKey: .logs)
            ?? []
    }
}

extension HubClient {
    /// A list in the Django REST style (`{count, next, previous, results}`, also `{total, …}`), following `next`.
    ///
    /// A `next` link on the Hub's own origin is followed as given; one on another origin is not (credentials
    /// must not go there), and the next page number is asked of the Hub's origin instead.
    func pagedList<Item: Decodable & Sendable>(
        _ path: String,
        query: [URLQueryItem] = [],
        pageSize: Int? = nil,
        auth: AuthMode = .optional,
        pageSizeName: String = "page_size"
    ) -> HubList<Item> {
        let client = self
        let size = pageSize ?? configuration.pageSize
        return HubList { cursor in
            let requestURL: URL
            let pageNumber: Int
            switch cursor {
            case .url(let next):
                requestURL = next
                pageNumber = HubClient.pageNumber(in: next) ?? 2
            case .page(let number):
                pageNumber = number
                requestURL = try client.url(path, query: query + [
                    URLQueryItem(name: "page", value: String(number)), URLQueryItem(name: pageSizeName, value: String(size)),
                ])
            case .offset, nil:
                pageNumber = 1
                requestURL = try client.url(path, query: query + [URLQueryItem(name: pageSizeName, value: String(size))])
            }
            let envelope = try await client.json(PageEnvelope<Item>.self, .GET, requestURL, auth: auth)
            var next: HubPageCursor?
            if let link = envelope.next, !link.isEmpty {
                if let linkURL = URL(string: link, relativeTo: client.configuration.baseURL)?.absoluteURL, client.isHubOrigin(linkURL) {
                    next = .url(linkURL)
                } else if pageNumber < Int.max {
                    // (A `page=` value of Int.max from the server ends the list rather than overflowing.)
                    next = .page(pageNumber + 1)
                }
            }
            return HubPage(items: envelope.results, totalCount: envelope.count, next: next)
        }
    }

    /// A list answered in one document (`{data: [...]}` or a bare array): one page.
    func singlePageList<Item: Decodable & Sendable>(_ path: String, query: [URLQueryItem] = [], auth: AuthMode = .optional) -> HubList<Item> {
        let client = self
        return HubList { _ in
            let envelope = try await client.json(PageEnvelope<Item>.self, .GET, try client.url(path, query: query), auth: auth)
            return HubPage(items: envelope.results, totalCount: envelope.count ?? envelope.results.count, next: nil)
        }
    }

    static func pageNumber(in url: URL) -> Int? {
        URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "page" }?.value.flatMap { Int($0) }
    }
}
