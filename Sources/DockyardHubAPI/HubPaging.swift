import DockyardTransport
import Foundation
import NIOHTTP1

/// Where the next page of a list starts.
enum HubPageCursor: Sendable, Hashable {
    /// An absolute `next` URL the Hub gave.
    case url(URL)
    /// A 1-based page number.
    case page(Int)
    /// A 0-based item offset (`from`/`size` lists).
    case offset(Int)
}

/// A Hub list page as the paging closures return it.
typealias HubFetchedPage<Element: Sendable> = FetchedPage<Element, HubPageCursor>

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
    ) -> PageSequence<Item> {
        let client = self
        return PageSequence(pageSize: pageSize ?? configuration.pageSize) { (cursor: HubPageCursor?, size: Int?) in
            let size = size ?? client.configuration.pageSize
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
            return HubFetchedPage(items: envelope.results, next: next, totalCount: envelope.count)
        }
    }

    /// A list answered in one document (`{data: [...]}` or a bare array): one page.
    func singlePageList<Item: Decodable & Sendable>(_ path: String, query: [URLQueryItem] = [], auth: AuthMode = .optional) -> PageSequence<Item> {
        let client = self
        return PageSequence.single {
            try await client.json(PageEnvelope<Item>.self, .GET, try client.url(path, query: query), auth: auth).results
        }
    }

    static func pageNumber(in url: URL) -> Int? {
        URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "page" }?.value.flatMap { Int($0) }
    }
}
