import DockyardReferences
import Foundation
import NIOCore

/// Hashes a blob's buffers on a task of its own, so that hashing runs on one core while the consumer of the same
/// buffers (a file write, an upload, standard output) runs on another.
///
/// The producer hands each buffer to ``feed(_:)`` and passes the same buffer on to its consumer: the two share the
/// bytes (a `ByteBuffer` is copy-on-write and nobody writes to it), nothing is copied. At most ``limit`` buffers wait
/// for the hasher; a producer that gets further ahead waits in ``feed(_:)``, so memory stays bounded whichever side
/// is slower. ``finish()`` waits for the last buffer to be hashed and returns the hasher. A stage that is dropped
/// before it finishes (the consumer failed or was cancelled) stops its task: ``close()`` runs from the owner's
/// `deinit`.
final class HashingStage: @unchecked Sendable {
    // Guarded by `lock`: the producer and the hashing task both use it.
    private let lock = NSLock()
    private var queue: [ByteBuffer] = []
    private var head = 0
    private var closed = false
    private var abandoned = false
    private var hasherWaiting: CheckedContinuation<ByteBuffer?, Never>?
    private var producerWaiting: CheckedContinuation<Void, any Error>?
    private var task: Task<DigestHasher, Never>?

    /// The most buffers that wait for the hasher before the producer waits.
    let limit: Int

    /// Creates a stage and starts its hashing task.
    ///
    /// - Parameters:
    ///   - algorithm: The digest algorithm.
    ///   - limit: The most buffers waiting to be hashed (at least 1).
    init(algorithm: ContentDigest.Algorithm, limit: Int) {
        self.limit = Swift.max(1, limit)
        task = Task { [self] in
            var hasher = DigestHasher(algorithm: algorithm)
            while let buffer = await take() {
                buffer.withUnsafeReadableBytes { hasher.update(bytes: $0) }
            }
            return hasher
        }
    }

    private var waitingCount: Int { queue.count - head }

    /// Hands a buffer to the hasher; waits while ``limit`` buffers are already waiting.
    ///
    /// - Parameter buffer: The next bytes of the blob, in order.
    /// - Throws: `CancellationError` when the producer's task is cancelled while it waits.
    func feed(_ buffer: ByteBuffer) async throws {
        guard buffer.readableBytes > 0 else { return }
        let full: Bool? = lock.withLock {
            if abandoned { return nil }
            if let waiting = hasherWaiting {
                hasherWaiting = nil
                waiting.resume(returning: buffer)
                return false
            }
            queue.append(buffer)
            return waitingCount >= limit
        }
        guard let full else { throw CancellationError() }
        guard full else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                lock.withLock {
                    if Task.isCancelled || abandoned {
                        continuation.resume(throwing: CancellationError())
                    } else if waitingCount < limit {
                        continuation.resume()
                    } else {
                        producerWaiting = continuation
                    }
                }
            }
        } onCancel: {
            let waiting = lock.withLock {
                defer { producerWaiting = nil }
                return producerWaiting
            }
            waiting?.resume(throwing: CancellationError())
        }
    }

    /// Ends the input, waits until every buffer fed is hashed, and returns the hasher.
    ///
    /// - Returns: The hasher holding every byte fed, in order.
    func finish() async -> DigestHasher {
        let waiting: CheckedContinuation<ByteBuffer?, Never>? = lock.withLock {
            closed = true
            defer { hasherWaiting = nil }
            return hasherWaiting
        }
        waiting?.resume(returning: nil)
        // `task` is set in `init` and never changed.
        guard let task else { return DigestHasher() }
        return await task.value
    }

    /// Ends the input and drops what is still waiting, without waiting for the task: for a stream given up early.
    func close() {
        let (hasher, producer): (CheckedContinuation<ByteBuffer?, Never>?, CheckedContinuation<Void, any Error>?) = lock.withLock {
            closed = true
            abandoned = true
            queue = []
            head = 0
            defer {
                hasherWaiting = nil
                producerWaiting = nil
            }
            return (hasherWaiting, producerWaiting)
        }
        hasher?.resume(returning: nil)
        producer?.resume(throwing: CancellationError())
    }

    /// The next buffer to hash, or `nil` once the input has ended and everything is hashed.
    private func take() async -> ByteBuffer? {
        await withCheckedContinuation { (continuation: CheckedContinuation<ByteBuffer?, Never>) in
            // Either an answer now (a buffer, or nil at the end) or parked until the producer hands one over.
            let (answer, producer): (ByteBuffer??, CheckedContinuation<Void, any Error>?) = lock.withLock {
                if abandoned { return (.some(nil), nil) }
                if head < queue.count {
                    let buffer = queue[head]
                    head += 1
                    if head == queue.count {
                        queue.removeAll(keepingCapacity: true)
                        head = 0
                    }
                    var producer: CheckedContinuation<Void, any Error>?
                    if waitingCount < limit {
                        producer = producerWaiting
                        producerWaiting = nil
                    }
                    return (.some(buffer), producer)
                }
                if closed { return (.some(nil), nil) }
                hasherWaiting = continuation
                return (nil, nil)
            }
            producer?.resume()
            if let answer { continuation.resume(returning: answer) }
        }
    }
}

/// Owns a ``HashingStage`` for an iterator and stops the stage's task when the iterator is dropped unfinished.
final class HashingStageOwner: Sendable {
    let stage: HashingStage

    init(_ stage: HashingStage) { self.stage = stage }

    deinit { stage.close() }
}
