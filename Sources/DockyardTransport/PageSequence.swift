/// One page as a list's fetch closure returns it: the page's items, where the next page starts, and the list's
/// total size when the server reports it.
///
/// `Cursor` is whatever names a page for the server at hand: a `next` URL from a `Link` header or a JSON body, a
/// page number, an item offset, an opaque continuation token.
public struct FetchedPage<Item: Sendable, Cursor: Hashable & Sendable>: Sendable {
    /// The page's items, in list order.
    public var items: [Item]
    /// Where the next page starts; `nil` on the last page.
    public var next: Cursor?
    /// The size of the whole list, when the server reports it (`count`, `total`, …).
    public var totalCount: Int?

    /// Creates a fetched page.
    ///
    /// - Parameters:
    ///   - items: The page's items.
    ///   - next: Where the next page starts; `nil` when this is the last page.
    ///   - totalCount: The size of the whole list, if known.
    public init(items: [Item], next: Cursor?, totalCount: Int? = nil) {
        self.items = items
        self.next = next
        self.totalCount = totalCount
    }
}

/// A paginated list: an `AsyncSequence` of its items that fetches one page at a time, on demand.
///
/// Every list in Dockyard is a `PageSequence`, whatever paging style the server uses. A closure fetches the page
/// a cursor names (`nil` for the first page); iteration asks for the next page only when the items of the current
/// one are used up. Nothing is fetched before iteration starts, and each new iteration starts from the first page.
///
/// ```swift
/// for try await repository in hub.repositories(in: "acme") { print(repository.name) }
/// let firstTen = try await hub.repositories(in: "acme").collect(limit: 10)
/// for try await page in hub.repositories(in: "acme").pageSize(25).pages { print(page.items.count) }
/// ```
///
/// A server cannot make a `PageSequence` run forever: iteration ends when a page names a cursor that was already
/// fetched (a link back to an earlier page), when a page is empty, and after ``maxPages`` pages. It checks for task
/// cancellation before each page and throws `CancellationError` then.
///
/// - Important: A sequence holds its client's transport only through the fetch closure: iterate it while the
///   client that made it is running.
public struct PageSequence<Item: Sendable>: AsyncSequence, Sendable {
    /// One item of the list.
    public typealias Element = Item

    /// One page of the list, as ``pages`` yields it.
    public struct Page: Sendable {
        /// The page's items, in list order.
        public var items: [Item]
        /// The size of the whole list, when the server reports it.
        public var totalCount: Int?
        /// Whether the server named a further page.
        public var hasNext: Bool

        /// Creates a page.
        ///
        /// - Parameters:
        ///   - items: The page's items.
        ///   - totalCount: The size of the whole list, if known.
        ///   - hasNext: Whether another page follows.
        public init(items: [Item], totalCount: Int? = nil, hasNext: Bool) {
            self.items = items
            self.totalCount = totalCount
            self.hasNext = hasNext
        }
    }

    /// The most pages a sequence fetches unless told otherwise: 10 000.
    public static var defaultMaxPages: Int { 10_000 }

    /// The number of items asked for per page, handed to the fetch closure; `nil` lets the server choose.
    public let pageSize: Int?
    /// The most pages fetched in one iteration; iteration ends quietly after that many.
    public let maxPages: Int
    private let makeStepper: @Sendable (_ pageSize: Int?, _ maxPages: Int) -> PageStepper<Item>

    /// Creates a list from a closure that fetches one page.
    ///
    /// - Parameters:
    ///   - pageSize: The number of items to ask for per page, or `nil` to let the server choose; passed to `fetch`.
    ///   - maxPages: The most pages fetched in one iteration (at least 1).
    ///   - start: The cursor of the first page, when it has one (the first page's URL): a later page naming it
    ///     again ends the list. `nil` by default, and then the first call of `fetch` gets `nil`.
    ///   - fetch: Fetches the page that `cursor` names (`start` for the first page) with the given page size.
    public init<Cursor: Hashable & Sendable>(
        pageSize: Int? = nil,
        maxPages: Int = PageSequence.defaultMaxPages,
        start: Cursor? = nil,
        fetch: @escaping @Sendable (_ cursor: Cursor?, _ pageSize: Int?) async throws -> FetchedPage<Item, Cursor>
    ) {
        self.pageSize = pageSize
        self.maxPages = Swift.max(1, maxPages)
        self.makeStepper = { size, cap in
            PageStepper(state: CursorState(fetch: fetch, start: start, pageSize: size, maxPages: cap))
        }
    }

    fileprivate init(pageSize: Int?, maxPages: Int, makeStepper: @escaping @Sendable (Int?, Int) -> PageStepper<Item>) {
        self.pageSize = pageSize
        self.maxPages = maxPages
        self.makeStepper = makeStepper
    }

    /// A list of exactly one page, for endpoints that answer with the whole list at once.
    ///
    /// - Parameter fetch: Fetches the whole list.
    /// - Returns: A sequence that fetches once per iteration.
    public static func single(_ fetch: @escaping @Sendable () async throws -> [Item]) -> PageSequence<Item> {
        PageSequence(pageSize: nil) { (_: Int?, _: Int?) in
            let items = try await fetch()
            return FetchedPage<Item, Int>(items: items, next: nil, totalCount: items.count)
        }
    }

    /// The same list asking for `size` items per page.
    ///
    /// - Parameter size: Items per page, or `nil` to let the server choose. Servers cap it (Docker Hub at 100).
    /// - Returns: A copy of this sequence with the new page size.
    public func pageSize(_ size: Int?) -> PageSequence<Item> {
        PageSequence(pageSize: size, maxPages: maxPages, makeStepper: makeStepper)
    }

    /// The same list fetching at most `count` pages per iteration.
    ///
    /// - Parameter count: The most pages (at least 1).
    /// - Returns: A copy of this sequence with the new cap.
    public func maxPages(_ count: Int) -> PageSequence<Item> {
        PageSequence(pageSize: pageSize, maxPages: Swift.max(1, count), makeStepper: makeStepper)
    }

    /// The same list with each page's items transformed, for a layer that fetches raw items and hands out others
    /// (the registry filtering referrers locally when the server did not).
    ///
    /// The paging rules apply to the pages as fetched: a page that the transform empties does not end the list.
    ///
    /// - Parameter transform: Turns one fetched page's items into the items handed out.
    /// - Returns: A sequence with the same page size and page cap.
    package func mapPageItems<Other: Sendable>(_ transform: @escaping @Sendable ([Item]) -> [Other]) -> PageSequence<Other> {
        let make = makeStepper
        return PageSequence<Other>(pageSize: pageSize, maxPages: maxPages, makeStepper: { size, cap in
            let inner = make(size, cap)
            return PageStepper<Other>(next: {
                guard let page = try await inner.next() else { return nil }
                return PageSequence<Other>.Page(items: transform(page.items), totalCount: page.totalCount, hasNext: page.hasNext)
            })
        })
    }

    /// The list page by page.
    public var pages: Pages {
        let make = makeStepper
        let size = pageSize
        let cap = maxPages
        return Pages(make: { make(size, cap) })
    }

    /// Makes an iterator over every item.
    ///
    /// - Returns: A new iterator that starts at the first page.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pages: pages.makeAsyncIterator()) }

    /// Reads items into an array, fetching only the pages needed.
    ///
    /// - Parameter limit: The most items to read; `nil` reads the whole list.
    /// - Returns: The items, in list order.
    /// - Throws: Whatever the fetch closure throws (the client's error type or `TransportError`), or
    ///   `CancellationError` when the task is cancelled.
    public func collect(limit: Int? = nil) async throws -> [Item] {
        var result: [Item] = []
        if let limit, limit <= 0 { return result }
        for try await item in self {
            result.append(item)
            if let limit, result.count >= limit { break }
        }
        return result
    }

    /// The iterator of a ``PageSequence``: yields the items of each page, fetching the next page when needed.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var pages: Pages.AsyncIterator
        var buffer: [Item] = []
        var index = 0

        /// Returns the next item, fetching the next page when the current one is used up.
        ///
        /// - Returns: The next item, or `nil` after the last.
        /// - Throws: Whatever the fetch closure throws, or `CancellationError`.
        public mutating func next() async throws -> Item? {
            while index >= buffer.count {
                guard let page = try await pages.next() else { return nil }
                buffer = page.items
                index = 0
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    /// A ``PageSequence`` page by page.
    public struct Pages: AsyncSequence, Sendable {
        /// One page.
        public typealias Element = Page

        let make: @Sendable () -> PageStepper<Item>

        /// Makes an iterator over the pages.
        ///
        /// - Returns: A new iterator that starts at the first page.
        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(stepper: make()) }

        /// The iterator over the pages of a ``PageSequence``.
        public struct AsyncIterator: AsyncIteratorProtocol {
            let stepper: PageStepper<Item>

            /// Fetches the next page.
            ///
            /// - Returns: The next page, or `nil` after the last.
            /// - Throws: Whatever the fetch closure throws, or `CancellationError`.
            public mutating func next() async throws -> Page? { try await stepper.next() }
        }
    }
}

/// Steps through the pages of one iteration; erases the cursor type.
struct PageStepper<Item: Sendable>: Sendable {
    let next: @Sendable () async throws -> PageSequence<Item>.Page?

    init<Cursor>(state: CursorState<Item, Cursor>) {
        self.next = { try await state.next() }
    }

    init(next: @escaping @Sendable () async throws -> PageSequence<Item>.Page?) {
        self.next = next
    }
}

/// The state of one iteration: the cursor to fetch next and every cursor fetched so far.
actor CursorState<Item: Sendable, Cursor: Hashable & Sendable> {
    let fetch: @Sendable (Cursor?, Int?) async throws -> FetchedPage<Item, Cursor>
    let pageSize: Int?
    let maxPages: Int
    var cursor: Cursor?
    var started = false
    var finished = false
    var seen: Set<Cursor> = []
    var fetched = 0

    init(
        fetch: @escaping @Sendable (Cursor?, Int?) async throws -> FetchedPage<Item, Cursor>,
        start: Cursor?,
        pageSize: Int?,
        maxPages: Int
    ) {
        self.fetch = fetch
        self.cursor = start
        self.pageSize = pageSize
        self.maxPages = maxPages
    }

    func next() async throws -> PageSequence<Item>.Page? {
        guard !finished else { return nil }
        if started, cursor == nil { finished = true; return nil }
        // (Before the first page, `cursor` is the start cursor, which may be nil.)
        guard fetched < maxPages else { finished = true; return nil }
        try Task.checkCancellation()
        started = true
        if let cursor {
            // A server that links back to a page already read would loop forever: stop instead.
            guard seen.insert(cursor).inserted else { finished = true; return nil }
        }
        fetched += 1
        let page: FetchedPage<Item, Cursor>
        do {
            page = try await fetch(cursor, pageSize)
        } catch {
            finished = true
            throw error
        }
        cursor = page.items.isEmpty ? nil : page.next
        if cursor == nil { finished = true }
        return PageSequence<Item>.Page(items: page.items, totalCount: page.totalCount, hasNext: cursor != nil)
    }
}
