#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto

/// An incremental hasher that computes a ``ContentDigest`` as bytes stream through it.
///
/// `DigestHasher` is a value type: copying it forks the hash state, which lets a caller take the digest of a
/// prefix and keep going. Feed it chunks as they arrive with ``update(bytes:)`` (no copy is made) and call
/// ``finalize()`` at the end; ``byteCount`` tells how many bytes went in, so size and digest are checked together.
///
/// ```swift
/// var hasher = DigestHasher()
/// for try await chunk in body { chunk.withUnsafeReadableBytes { hasher.update(bytes: $0) } }
/// guard hasher.finalize() == expected, hasher.byteCount == size else { throw … }
/// ```
public struct DigestHasher: Sendable {
    // Two optionals rather than an enum with payloads: optional chaining mutates the hash state in place, so the
    // copy-on-write context inside swift-crypto's hash stays uniquely referenced and is never copied per chunk.
    private var sha256: SHA256?
    private var sha512: SHA512?

    /// The algorithm this hasher computes.
    public let algorithm: ContentDigest.Algorithm

    /// The number of bytes hashed so far.
    public private(set) var byteCount: Int64 = 0

    /// Creates a hasher for the given algorithm.
    ///
    /// - Parameter algorithm: The hash algorithm; sha256 unless told otherwise.
    public init(algorithm: ContentDigest.Algorithm = .sha256) {
        self.algorithm = algorithm
        switch algorithm {
        case .sha256: sha256 = SHA256()
        case .sha512: sha512 = SHA512()
        }
    }

    /// Hashes the bytes in a raw buffer, in place.
    ///
    /// - Parameter bytes: The next chunk of content. The buffer is read during the call and not retained.
    public mutating func update(bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        sha256?.update(bufferPointer: bytes)
        sha512?.update(bufferPointer: bytes)
        byteCount += Int64(bytes.count)
    }

    /// Hashes the bytes of a `Data`, `[UInt8]` or other `DataProtocol` value, region by region.
    ///
    /// - Parameter data: The next chunk of content.
    public mutating func update(_ data: some DataProtocol) {
        for region in data.regions {
            region.withUnsafeBytes { update(bytes: $0) }
        }
    }

    /// Hashes any sequence of bytes, in place when its storage is contiguous.
    ///
    /// - Parameter sequence: The next chunk of content.
    public mutating func update(sequence: some Sequence<UInt8>) {
        let done: Void? = sequence.withContiguousStorageIfAvailable { buffer in
            update(bytes: UnsafeRawBufferPointer(buffer))
        }
        if done == nil {
            var chunk: [UInt8] = []
            chunk.reserveCapacity(16 * 1024)
            for byte in sequence {
                chunk.append(byte)
                if chunk.count == 16 * 1024 {
                    chunk.withUnsafeBytes { update(bytes: $0) }
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            chunk.withUnsafeBytes { update(bytes: $0) }
        }
    }

    /// The digest of everything hashed so far. The hasher can keep receiving bytes afterwards.
    ///
    /// - Returns: The digest of all bytes passed to the `update` methods.
    public func finalize() -> ContentDigest {
        if let sha512 { return ContentDigest(sha512.finalize()) }
        return ContentDigest((sha256 ?? SHA256()).finalize())
    }
}
