import DockyardReferences

/// One step of a blob transfer, for progress bars and logs.
///
/// A transfer reports ``started(digest:size:)`` once, then ``progressed(digest:completed:total:)`` as bytes move
/// (coalesced: at most a few per second, and always once at the end), then ends with ``verified(digest:size:)``
/// and ``finished(digest:size:)``, or with ``skipped(digest:size:)`` or ``mounted(digest:size:from:)`` when no
/// bytes had to move.
public enum TransferEvent: Sendable, Hashable {
    /// The transfer began; `size` is the expected size when known.
    case started(digest: ContentDigest, size: Int64?)
    /// `completed` of `total` bytes have moved.
    case progressed(digest: ContentDigest, completed: Int64, total: Int64?)
    /// The connection broke and the transfer continues from `offset`.
    case resumed(digest: ContentDigest, offset: Int64)
    /// Every byte arrived and matches the digest and size.
    case verified(digest: ContentDigest, size: Int64)
    /// The destination already had the blob; nothing moved.
    case skipped(digest: ContentDigest, size: Int64)
    /// The registry mounted the blob from another repository; nothing moved.
    case mounted(digest: ContentDigest, size: Int64, from: Repository)
    /// The blob is in place.
    case finished(digest: ContentDigest, size: Int64)

    /// The blob this event is about.
    public var digest: ContentDigest {
        switch self {
        case .started(let digest, _), .progressed(let digest, _, _), .resumed(let digest, _),
            .verified(let digest, _), .skipped(let digest, _), .mounted(let digest, _, _), .finished(let digest, _):
            return digest
        }
    }
}

extension TransferEvent: CustomStringConvertible {
    /// The event for people: the blob's short digest, what happened and the byte counts, such as
    /// `sha256:0123456789ab progressed 1.5 MiB of 12.0 MiB`; an unknown size reads `of ? bytes`.
    public var description: String {
        let short = "\(digest.algorithm.rawValue):\(digest.encoded.prefix(12))"
        switch self {
        case .started(_, let size):
            return "\(short) started (\(size.map(TransferEvent.bytes) ?? "size unknown"))"
        case .progressed(_, let completed, let total):
            return "\(short) progressed \(TransferEvent.bytes(completed)) of \(total.map(TransferEvent.bytes) ?? "? bytes")"
        case .resumed(_, let offset):
            return "\(short) resumed at \(TransferEvent.bytes(offset))"
        case .verified(_, let size):
            return "\(short) verified (\(TransferEvent.bytes(size)))"
        case .skipped(_, let size):
            return "\(short) already present (\(TransferEvent.bytes(size)))"
        case .mounted(_, let size, let from):
            return "\(short) mounted from \(from.path) (\(TransferEvent.bytes(size)))"
        case .finished(_, let size):
            return "\(short) finished (\(TransferEvent.bytes(size)))"
        }
    }

    /// A byte count for people: `512 bytes`, `1.5 KiB`, `12.0 MiB`.
    ///
    /// - Parameter count: The number of bytes.
    /// - Returns: The count in the largest binary unit that keeps it at 1 or more.
    public static func bytes(_ count: Int64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB"]
        guard count >= 1024 || count <= -1024 else { return "\(count) bytes" }
        var value = Double(count) / 1024
        var unit = 0
        while abs(value) >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = (value * 10).rounded() / 10
        return "\(tenths) \(units[unit])"
    }
}

/// Receives transfer events; called on the transferring task, so it must return quickly.
public typealias TransferEventHandler = @Sendable (TransferEvent) -> Void

/// Decides when a byte count is worth reporting, so that progress events stay few however small the buffers are.
struct ProgressCoalescer {
    private let interval: Duration
    private var lastReport: ContinuousClock.Instant
    private var lastBytes: Int64 = -1

    init(interval: Duration) {
        self.interval = interval
        self.lastReport = .now - interval
    }

    /// Whether to report `completed` now; `force` reports any change (used at the end).
    mutating func shouldReport(_ completed: Int64, force: Bool = false) -> Bool {
        guard completed != lastBytes else { return false }
        let now = ContinuousClock.now
        guard force || now - lastReport >= interval else { return false }
        lastReport = now
        lastBytes = completed
        return true
    }
}
