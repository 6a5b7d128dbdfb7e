import Foundation
import Logging

/// Collects every log message and its metadata as text.
public final class CapturedLog: @unchecked Sendable {
    /// Creates an empty log.
    public init() {}

    private let lock = NSLock()
    private var lines: [String] = []

    public func append(_ line: String) { lock.withLock { lines.append(line) } }
    public var text: String { lock.withLock { lines.joined(separator: "\n") } }

    public var logger: Logger {
        var logger = Logger(label: "dockyard.transport.test") { _ in CapturingHandler(log: self) }
        logger.logLevel = .trace
        return logger
    }
}

/// A log handler that renders each event as one line of a ``CapturedLog``.
public struct CapturingHandler: LogHandler {
    let log: CapturedLog
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        log.append("\(event.level) \(event.message) \(rendered)")
    }
}

