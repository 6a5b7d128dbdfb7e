import Dockyard
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Shows transfer progress the way the output options ask, in `docker pull` / `docker push`'s look: a row per
/// layer redrawn in place on a terminal (`a1d0c7532777: Downloading [=====>   ]  1.2MB/3.4MB`), one line per
/// finished layer otherwise (`a1d0c7532777: Pull complete`), JSON events (one per line) with `--json`, nothing
/// with `--quiet`.
///
/// Events arrive from one consuming loop, so the reporter needs no locking.
final class ProgressReporter {
    enum Mode {
        case bars, lines, json, quiet
    }

    /// Which command's words to use.
    enum Look: Equatable {
        /// `docker pull`: `Downloading`, `Pull complete`, `Already exists`.
        case pull
        /// `docker push`: `Pushing`, `Pushed`, `Layer already exists`, `Mounted from …`.
        case push
        /// `dockyard copy` and `dockyard blob`: every blob, on stderr, as `<digest> <verb> (<size>)`.
        case blobs(verb: String)

        /// Whether the look is docker's, on stdout (pull, push), rather than blob lines on stderr.
        var isDocker: Bool {
            if case .blobs = self { return false }
            return true
        }
    }

    private struct Row {
        var digest: ContentDigest
        var completed: Int64 = 0
        var total: Int64?
        var state: String
        var done = false
    }

    let mode: Mode
    private let look: Look
    private var rows: [Row] = []
    private var rowIndex: [ContentDigest: Int] = [:]
    /// Blobs shown (the layers for pull and push; every blob for copy); others are counted but not shown.
    private var shown: Set<ContentDigest>?
    private var drawnLines = 0
    private var lastDraw = ContinuousClock.now - .seconds(1)

    /// - Parameters:
    ///   - global: The output options.
    ///   - look: Which command's words to use.
    init(_ global: GlobalOptions, look: Look) {
        if global.json {
            mode = .json
        } else if global.quiet {
            mode = .quiet
        } else if isatty(look.isDocker ? 1 : 2) == 1 {
            mode = .bars
        } else {
            mode = .lines
        }
        self.look = look
    }

    /// - Parameters:
    ///   - global: The output options.
    ///   - verb: What moving a blob is called in its line on stderr ("copied", "uploaded").
    convenience init(_ global: GlobalOptions, verb: String) {
        self.init(global, look: .blobs(verb: verb))
    }

    /// Prints a line of the docker look (not in JSON or quiet mode).
    func say(_ text: String) {
        guard mode == .bars || mode == .lines else { return }
        Output.line(text)
    }

    /// Shows every event of an image transfer and returns its result.
    ///
    /// - Parameter events: The transfer's events, as `pullEvents`, `pushEvents` or `copyEvents` return them.
    /// - Returns: The result of the ``ImageTransferEvent/completed(_:)`` event, or `nil` when the stream ended
    ///   without one.
    /// - Throws: What the stream throws.
    func report<Result>(_ events: AsyncThrowingStream<ImageTransferEvent<Result>, any Error>) async throws -> Result? {
        var result: Result?
        for try await event in events {
            handle(event)
            if case .completed(let completed) = event { result = completed }
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
        case .planned(let plan):
            if mode == .json {
                Output.jsonObject([
                    "event": .string("planned"), "blobs": .int(Int64(plan.blobs.count)),
                    "bytes": .int(plan.progress.totalBytes),
                ])
            }
            let visible = look.isDocker ? plan.layers : plan.blobs
            shown = Set(visible.map(\.digest))
            // docker lists a push's layers top first.
            for layer in look == .push ? visible.reversed() : visible {
                let index = row(for: layer.digest)
                rows[index].total = layer.size
            }
            if mode == .bars { draw(force: true) }
        case .blob(let transfer):
            handle(transfer)
        case .progressed:
            break
        case .manifest(let descriptor):
            if mode == .json {
                Output.jsonObject([
                    "event": .string("manifest"), "digest": .string(descriptor.digest.description),
                    "mediaType": .string(descriptor.mediaType.rawValue), "size": .int(descriptor.size),
                    "platform": .optional(descriptor.platform.map { "\($0)" }),
                ])
            }
        case .completed:
            if mode == .bars { draw(force: true) }
        }
    }

    /// Handles a blob-level event.
    func handle(_ event: TransferEvent) {
        if mode == .json {
            Output.jsonObject(ProgressReporter.json(event))
            return
        }
        guard mode != .quiet, shown?.contains(event.digest) ?? true else { return }
        let index = row(for: event.digest)
        var finished: String?
        var line: String?
        switch event {
        case .started(_, let size):
            rows[index].total = size ?? rows[index].total
            rows[index].state = moving
        case .progressed(_, let completed, let total):
            rows[index].completed = completed
            rows[index].total = total ?? rows[index].total
            rows[index].state = moving
        case .resumed(_, let offset):
            rows[index].completed = offset
            rows[index].state = "Retrying"
        case .verified:
            rows[index].state = "Verifying Checksum"
        case .skipped(_, let size):
            finished = look == .push ? "Layer already exists" : "Already exists"
            line = "\(event.digest) exists (\(ProgressReporter.bytes(size)))"
            rows[index].completed = size
        case .mounted(_, let size, let from):
            finished = "Mounted from \(from.familiarName)"
            line = "\(event.digest) mounted from \(from.path) (\(ProgressReporter.bytes(size)))"
            rows[index].completed = size
        case .finished(_, let size):
            switch look {
            case .pull: finished = "Pull complete"
            case .push: finished = "Pushed"
            case .blobs(let verb): finished = verb.prefix(1).uppercased() + verb.dropFirst()
            }
            if case .blobs(let verb) = look { line = "\(event.digest) \(verb) (\(ProgressReporter.bytes(size)))" }
            rows[index].completed = size
        }
        if let finished {
            rows[index].state = finished
            rows[index].done = true
        }
        switch mode {
        case .lines:
            if let finished {
                if look.isDocker {
                    Output.line("\(ProgressReporter.short(event.digest)): \(finished)")
                } else if let line {
                    Output.diagnostic(line)
                }
            }
        case .bars:
            draw(force: finished != nil)
        default:
            break
        }
    }

    private var moving: String {
        switch look {
        case .pull: return "Downloading"
        case .push: return "Pushing"
        case .blobs: return "Moving"
        }
    }

    private func row(for digest: ContentDigest) -> Int {
        if let index = rowIndex[digest] { return index }
        rows.append(Row(digest: digest, state: "Waiting"))
        rowIndex[digest] = rows.count - 1
        return rows.count - 1
    }

    /// Redraws every row in place, at most ten times a second unless forced.
    private func draw(force: Bool) {
        let now = ContinuousClock.now
        guard force || now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)A" : ""
        for row in rows {
            var line = "\(ProgressReporter.short(row.digest)): \(row.state)"
            if !row.done, row.state == moving, let total = row.total, total > 0 {
                let width = 50
                let filled = Int(max(0, min(1, Double(row.completed) / Double(total))) * Double(width))
                let bar = filled >= width
                    ? String(repeating: "=", count: width)
                    : String(repeating: "=", count: filled) + ">" + String(repeating: " ", count: width - filled - 1)
                line += " [\(bar)]  \(ProgressReporter.humanSize(row.completed))/\(ProgressReporter.humanSize(total))"
            }
            text += "\u{1B}[2K\(line)\n"
        }
        drawnLines = rows.count
        (look.isDocker ? FileHandle.standardOutput : FileHandle.standardError).write(Data(text.utf8))
    }

    /// The 12 hex digits docker shows for a layer.
    static func short(_ digest: ContentDigest) -> String { String(digest.encoded.prefix(12)) }

    /// A size as docker's progress shows it (decimal units, 4 significant digits): `2.812MB`, `512B`.
    static func humanSize(_ count: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        var text = String(format: "%.4g", value)
        if text.contains("e") { text = String(format: "%.0f", value) }
        return text + units[unit]
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
