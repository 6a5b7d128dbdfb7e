import Crypto
import DockyardReferences
import NIOCore

/// A running hash over streamed bytes, in one of the algorithms a digest may name.
struct StreamHasher {
    private enum State {
        case sha256(SHA256)
        case sha512(SHA512)
    }

    private var state: State

    /// The algorithm this hasher computes.
    let algorithm: ContentDigest.Algorithm

    init(_ algorithm: ContentDigest.Algorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .sha256: state = .sha256(SHA256())
        case .sha512: state = .sha512(SHA512())
        }
    }

    mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { raw in
            switch state {
            case .sha256(var hasher):
                hasher.update(bufferPointer: raw)
                state = .sha256(hasher)
            case .sha512(var hasher):
                hasher.update(bufferPointer: raw)
                state = .sha512(hasher)
            }
        }
    }

    /// The digest string of everything hashed so far (`algorithm:hex`).
    func finalize() -> String {
        switch state {
        case .sha256(let hasher): return "sha256:" + Self.hex(hasher.finalize())
        case .sha512(let hasher): return "sha512:" + Self.hex(hasher.finalize())
        }
    }

    static func digest(of buffer: ByteBuffer, _ algorithm: ContentDigest.Algorithm) -> String {
        var hasher = StreamHasher(algorithm)
        hasher.update(buffer)
        return hasher.finalize()
    }

    private static let digits = Array("0123456789abcdef".utf8)

    private static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
