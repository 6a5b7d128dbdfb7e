import DockyardTransport
import Foundation
import Testing

/// Records which cursors a list asked for.
final class PageFetchLog: @unchecked Sendable {
    private let lock = NSLock()
    private var cursors: [Int?] = []
    private var sizes: [Int?] = []
    func record(_ cursor: Int?, _ size: Int?) { lock.withLock { cursors.append(cursor); sizes.append(size) } }
    var asked: [Int?] { lock.withLock { cursors } }
    var pageSizes: [Int?] { lock.withLock { sizes } }
}

@Suite("PageSequence")
struct PageSequenceTests {
    /// A list of `total` numbers served `size` at a time; the cursor is the next offset.
    static func numbers(total: Int, log: PageFetchLog, pageSize: Int? = 3) -> PageSequence<Int> {
        PageSequence(pageSize: pageSize) { (cursor: Int?, size: Int?) in
            log.record(cursor, size)
            let from = cursor ?? 0
            let count = size ?? 3
            let items = Array(from..<min(from + count, total))
            let next = from + count < total ? from + count : nil
            return FetchedPage(items: items, next: next, totalCount: total)
        }
    }

    @Test("yields every item of every page, in order, and pages with their totals")
    func everyItem() async throws {
        let log = PageFetchLog()
        let list = Self.numbers(total: 8, log: log)
        #expect(try await list.collect() == Array(0..<8))
        #expect(log.asked == [nil, 3, 6])
        var pages: [PageSequence<Int>.Page] = []
        for try await page in list.pages { pages.append(page) }
        #expect(pages.map(\.items.count) == [3, 3, 2])
        #expect(pages.map(\.hasNext) == [true, true, false])
        #expect(pages.allSatisfy { $0.totalCount == 8 })
    }

    @Test("collect(limit:) fetches only the pages it needs")
    func limit() async throws {
        let log = PageFetchLog()
        #expect(try await Self.numbers(total: 100, log: log).collect(limit: 4) == [0, 1, 2, 3])
        #expect(log.asked == [nil, 3])
        #expect(try await Self.numbers(total: 100, log: PageFetchLog()).collect(limit: 0) == [])
    }

    @Test("pageSize(_:) passes the new size to the fetch closure")
    func pageSize() async throws {
        let log = PageFetchLog()
        let list = Self.numbers(total: 10, log: log).pageSize(5)
        #expect(list.pageSize == 5)
        #expect(try await list.collect() == Array(0..<10))
        #expect(log.pageSizes == [5, 5])
    }

    @Test("a server that links back to a page already read cannot loop the list")
    func repeatedCursor() async throws {
        let log = PageFetchLog()
        let list = PageSequence(pageSize: nil, start: 1) { (cursor: Int?, size: Int?) in
            log.record(cursor, size)
            // Page 1 → 2 → 1 → 2 … forever.
            return FetchedPage(items: [cursor ?? 0], next: cursor == 1 ? 2 : 1)
        }
        #expect(try await list.collect() == [1, 2])
        #expect(log.asked == [1, 2])
    }

    @Test("a server that names new pages forever stops at the page cap")
    func pageCap() async throws {
        let log = PageFetchLog()
        let endless = PageSequence(pageSize: nil, maxPages: 5) { (cursor: Int?, size: Int?) in
            log.record(cursor, size)
            let page = cursor ?? 0
            return FetchedPage(items: [page], next: page + 1)
        }
        #expect(endless.maxPages == 5)
        #expect(try await endless.collect() == [0, 1, 2, 3, 4])
        #expect(try await endless.maxPages(2).collect() == [0, 1])
    }

    @Test("an empty page ends the list even when it names a next page")
    func emptyPage() async throws {
        let list = PageSequence(pageSize: nil) { (cursor: Int?, _: Int?) in
            FetchedPage(items: cursor == nil ? [1] : [], next: (cursor ?? 0) + 1)
        }
        #expect(try await list.collect() == [1])
    }

    @Test("a cancelled task fetches no further page")
    func cancellation() async throws {
        let log = PageFetchLog()
        let list = Self.numbers(total: 1000, log: log)
        let task = Task {
            var seen = 0
            for try await _ in list {
                seen += 1
                if seen == 3 { withUnsafeCurrentTask { $0?.cancel() } }
            }
            return seen
        }
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        #expect(log.asked == [nil])
    }

    @Test("an error from a page is thrown and ends the iteration")
    func errorEnds() async throws {
        struct Broken: Error {}
        let list = PageSequence(pageSize: nil) { (cursor: Int?, _: Int?) in
            if cursor == 1 { throw Broken() }
            return FetchedPage(items: [0], next: 1)
        }
        var iterator = list.makeAsyncIterator()
        #expect(try await iterator.next() == 0)
        await #expect(throws: Broken.self) { _ = try await iterator.next() }
        #expect(try await iterator.next() == nil)
    }

    @Test("single(_:) is one page, fetched again by each iteration")
    func single() async throws {
        let log = PageFetchLog()
        let list = PageSequence<String>.single {
            log.record(nil, nil)
            return ["a", "b"]
        }
        #expect(try await list.collect() == ["a", "b"])
        #expect(try await list.collect(limit: 1) == ["a"])
        #expect(log.asked.count == 2)
    }
}
