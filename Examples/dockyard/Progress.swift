import Dockyard
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Shows transfer progress the way the output options ask: a bar per blob on a terminal, a line per finished blob
/// otherwise, JSON events (one per line) with `--json`, nothing with `--quiet`.
///
/// Events arrive from one consuming loop, so the reporter needs no locking.
final class ProgressReporter {
    enum Mode {
        case bars, lines, json, quiet
    }

    private struct Row {
        var digest: ContentDigest
        var completed: Int64 = 0
        var total: Int64?
        var state = "waiting"
    }

    let mode: Mode
    private var rows: [Row] = []
    private var rowIndex: [ContentDigest: Int] = [:]
    private var drawnLines = 0
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private let verb: String

    /// - Parameters:
    ///   - global: The output options.
    ///   - verb: What moving a blob is called in lines ("pulled", "pushed", "copied").
    init(_ global: GlobalOptions, verb: String) {
        if global.json {
            mode = .json
        } else if global.quiet {
            mode = .quiet
        } else if isatty(2) == 1 {
            mode = .bars
        } else {
            mode = .lines
        }
        self.verb = verb
    }

    /// Shows every event of an image transfer and returns its result.
    ///
    /// - Parameter events: The transfer's events, as `pullEvents`, `pushEvents` or `copyEvents` return them.
    /// - Returns: The result of the ``ImageTransferEvent/finished(_:)`` event, or `nil` when the stream ended without one.
    /// - Throws: What the stream throws.
    func report<Result>(_ events: AsyncThrowingStream<ImageTransferEvent<Result>, any Error>) async throws -> Result? {
        var result: Result?
        for try await event in events {
            handle(event)
            if case .finished(let finished) = event { result = finished }
        }
        return result
    }

    /// Handles an image-level event.
    func handle<Result>(_ event: ImageTransferEvent<Result>) {
        switch event {
        case .resolved(let descriptor):
            if mode == .json {
                Output.jsonObject([
                    "event": .string("resolved"), "digest": .string(descriptor.digest.description),
                    "mediaType": .string(descriptor.mediaType.rawValue), "size": .int(descriptor.size),
                ])
            }
        case .planned(let blobs, let bytes):
            if mode == .json {
                Output.jsonObject(["event": .string("planned"), "blobs": .int(Int64(blobs)), "bytes": .int(bytes)])
            }
        case .blob(let transfer):
            handle(transfer)
        case .manifest(let descriptor):
            if mode == .json {
                Output.jsonObject([
                    "event": .string("manifest"), "digest": .string(descriptor.digest.description),
                    "mediaType": .string(descriptor.mediaType.rawValue), "size": .int(descriptor.size),
                    "platform": .optional(descriptor.platform.map { "\($0)" }),
                ])
            }
        case .finished:
            if mode == .bars { draw(force: true) }
        }
    }

    /// Handles a blob-level event.
    func handle(_ event: TransferEvent) {
        if mode == .json {
            Output.jsonObject(ProgressReporter.json(event))
            return
        }
        guard mode != .quiet else { return }
        let index = row(for: event.digest)
        var finishedLine: String?
        switch event {
        case .started(_, let size):
            rows[index].total = size
            rows[index].state = "started"
        case .progressed(_, let completed, let total):
            rows[index].completed = completed
            rows[index].total = total ?? rows[index].total
            rows[index].state = "moving"
        case .resumed(_, let offset):
            rows[index].state = "resuming at \(ProgressReporter.bytes(offset))"
        case .verified:
            rows[index].state = "verified"
        case .skipped(_, let size):
            rows[index].completed = size
            rows[index].total = size
            rows[index].state = "exists"
            finishedLine = "\(event.digest) exists (\(ProgressReporter.bytes(size)))"
        case .mounted(_, let size, let from):
            rows[index].completed = size
            rows[index].total = size
            rows[index].state = "mounted"
            finishedLine = "\(event.digest) mounted from \(from.path) (\(ProgressReporter.bytes(size)))"
        case .finished(_, let size):
            rows[index].completed = size
            rows[index].total = size
            rows[index].state = "done"
            finishedLine = "\(event.digest) \(verb) (\(ProgressReporter.bytes(size)))"
        }
        switch mode {
        case .lines:
            if let finishedLine { Output.diagnostic(finishedLine) }
        case .bars:
            draw(force: finishedLine != nil)
        default:
            break
        }
    }

    private func row(for digest: ContentDigest) -> Int {
        if let index = rowIndex[digest] { return index }
        rows.append(Row(digest: digest))
        rowIndex[digest] = rows.count - 1
        return rows.count - 1
    }

    /// Redraws every bar in place on stderr, at most ten times a second unless forced.
    private func draw(force: Bool) {
        let now = ContinuousClock.now
        guard force || now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)A" : ""
        for row in rows {
            let short = String(row.digest.encoded.prefix(12))
            let total = row.total ?? 0
            let fraction = total > 0 ? max(0, min(1, Double(row.completed) / Double(total))) : (row.state == "done" ? 1 : 0)
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            let amount = "\(ProgressReporter.bytes(row.completed))/\(row.total.map(ProgressReporter.bytes) ?? "?")"
            text += "\u{1B}[2K\(short) [\(bar)] \(amount) \(row.state)\n"
        }
        drawnLines = rows.count
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// A transfer event as JSON pairs.
    static func json(_ event: TransferEvent) -> KeyValuePairs<String, JSONValue> {
        let digest = JSONValue.string(event.digest.description)
        switch event {
        case .started(_, let size):
            return ["event": .string("started"), "digest": digest, "size": size.map(JSONValue.int) ?? .null]
        case .progressed(_, let completed, let total):
            return ["event": .string("progress"), "digest": digest, "completed": .int(completed), "total": total.map(JSONValue.int) ?? .null]
        case .resumed(_, let offset):
            return ["event": .string("resumed"), "digest": digest, "offset": .int(offset)]
        case .verified(_, let size):
            return ["event": .string("verified"), "digest": digest, "size": .int(size)]
        case .skipped(_, let size):
            return ["event": .string("skipped"), "digest": digest, "size": .int(size)]
        case .mounted(_, let size, let from):
            return ["event": .string("mounted"), "digest": digest, "size": .int(size), "from": .string(from.name)]
        case .finished(_, let size):
            return ["event": .string("finished"), "digest": digest, "size": .int(size)]
        }
    }

    /// A byte count for people: `512 B`, `1.5 KiB`, `12.0 MiB`.
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f", value) + " " + units[unit]
    }

    /// The totals of an operation as JSON pairs.
    static func json(_ totals: TransferTotals) -> JSONValue {
        .object([
            ("transferred", .int(Int64(totals.transferred))), ("skipped", .int(Int64(totals.skipped))),
            ("mounted", .int(Int64(totals.mounted))), ("bytes", .int(totals.bytes)),
        ])
    }
}
