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
    /// A `next` link on the Hub's own origin is followed as given. One on another origin is refused with
    /// ``HubAPIError/Code/invalidResponse`` and nothing is sent to it: the session token must not go there, and
    /// guessing the page on the Hub's origin instead could skip or repeat items.
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
            switch cursor {
            case .url(let next):
                requestURL = next
            case .page(let number):
                requestURL = try client.url(path, query: query + [
                    URLQueryItem(name: "page", value: String(number)), URLQueryItem(name: pageSizeName, value: String(size)),
                ])
            case .offset, nil:
                requestURL = try client.url(path, query: query + [URLQueryItem(name: pageSizeName, value: String(size))])
            }
            let envelope = try await client.json(PageEnvelope<Item>.self, .GET, requestURL, auth: auth)
            var next: HubPageCursor?
            if let link = envelope.next, !link.isEmpty {
                guard let linkURL = URL(string: link, relativeTo: client.configuration.baseURL)?.absoluteURL, linkURL.isAbsoluteHTTP else {
                    throw HubAPIError(.invalidResponse, message: "the Hub's link to the next page is not an http(s) URL",
                                      method: "GET", url: HubAPIError.redacted(requestURL))
                }
                guard client.isHubOrigin(linkURL) else {
                    throw HubAPIError(
                        .invalidResponse,
                        message: "the Hub's link to the next page points to another origin (\(HubAPIError.origin(of: linkURL, "next page"))); "
                            + "it was not followed, so nothing was sent there. Check that the configured base URL is the origin the Hub names in its links",
                        method: "GET", url: HubAPIError.redacted(requestURL))
                }
                next = .url(linkURL)
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

    /// The `page` query value of a URL, if it is a number.
    static func pageNumber(in url: URL) -> Int? {
        URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "page" }?.value.flatMap { Int($0) }
    }
}
