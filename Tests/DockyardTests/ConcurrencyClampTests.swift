@testable import Dockyard
import Testing

/// Issue 8: every `concurrency` a caller gives is clamped to 1 through `ImageTransferOptions.maxConcurrency`, so
/// that 0 or a negative value never stops the work and a huge one never opens thousands of connections at once.
@Suite("Concurrency is clamped")
struct ConcurrencyClampTests {
    @Test("The maximum is 64")
    func maximum() {
        #expect(ImageTransferOptions.maxConcurrency == 64)
    }

    @Test("clampedConcurrency maps values below 1 to 1 and values above the maximum to the maximum",
          arguments: [
            (Int.min, 1), (-5, 1), (0, 1), (1, 1), (4, 4), (64, 64), (65, 64), (10_000, 64), (Int.max, 64),
          ])
    func clamp(requested: Int, expected: Int) {
        #expect(ImageTransferOptions.clampedConcurrency(requested) == expected)
    }

    @Test("ImageTransferOptions clamps in its initializer and when the property is set",
          arguments: [(Int.min, 1), (0, 1), (-1, 1), (3, 3), (65, 64), (Int.max, 64)])
    func transferOptions(requested: Int, expected: Int) {
        #expect(ImageTransferOptions(concurrency: requested).concurrency == expected)
        var options = ImageTransferOptions()
        options.concurrency = requested
        #expect(options.concurrency == expected)
    }

    @Test("SyncOptions clamps both its concurrencies, in its initializer and when they are set",
          arguments: [(Int.min, 1), (0, 1), (-1, 1), (3, 3), (65, 64), (Int.max, 64)])
    func syncOptions(requested: Int, expected: Int) {
        let made = SyncOptions(imageConcurrency: requested, blobConcurrency: requested)
        #expect(made.imageConcurrency == expected)
        #expect(made.blobConcurrency == expected)
        var options = SyncOptions()
        options.imageConcurrency = requested
        options.blobConcurrency = requested
        #expect(options.imageConcurrency == expected)
        #expect(options.blobConcurrency == expected)
    }

    @Test("forEach runs every item with a limit of 0 or less, and never more than the maximum at once",
          arguments: [Int.min, -1, 0, 1, 7, 64, 1_000, Int.max])
    func forEachClamps(limit: Int) async throws {
        let gauge = Gauge()
        let items = Array(0..<200)
        try await RegistryClient.forEach(items, concurrency: limit) { item in
            await gauge.enter(item)
            // Let the other tasks start, so that the gauge sees how many run side by side.
            for _ in 0..<5 { await Task.yield() }
            await gauge.leave()
        }
        let (done, peak) = await gauge.reading
        #expect(done.sorted() == items)
        #expect(peak >= 1)
        #expect(peak <= ImageTransferOptions.clampedConcurrency(limit), "peak \(peak) with limit \(limit)")
    }
}

/// Counts the tasks running at once and remembers the most it saw.
private actor Gauge {
    private var running = 0
    private var peak = 0
    private var done: [Int] = []

    func enter(_ item: Int) {
        running += 1
        peak = max(peak, running)
        done.append(item)
    }

    func leave() { running -= 1 }

    var reading: ([Int], Int) { (done, peak) }
}
