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
