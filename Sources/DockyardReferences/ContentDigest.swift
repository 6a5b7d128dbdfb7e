import Crypto

/// A content digest such as `sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b`: the
/// algorithm that hashed some bytes and the lowercase hex encoding of the hash.
///
/// Parsing follows `opencontainers/go-digest` (`Digest.Validate`): the algorithm must be `sha256` or `sha512`,
/// the hex part must have exactly the algorithm's length (64 or 128) and use lowercase digits. Any other
/// algorithm that fits the OCI digest grammar (image-spec `descriptor.md`) is recognised and refused with
/// ``ReferenceError/digestUnsupported``, so every `ContentDigest` value can be verified.
///
/// A digest encodes and decodes as its string form.
public struct ContentDigest: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// A hash algorithm Dockyard can compute and verify.
    public enum Algorithm: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
        /// SHA-256, the canonical algorithm of OCI registries; 64 hex digits.
        case sha256
        /// SHA-512; 128 hex digits.
        case sha512

        /// The number of bytes of a hash (32 or 64).
        public var byteCount: Int {
            switch self {
            case .sha256: 32
            case .sha512: 64
            }
        }

        /// The number of hex digits of an encoded hash (64 or 128).
        public var encodedLength: Int { byteCount * 2 }

        /// The algorithm's name as it appears before the `:` of a digest.
        public var description: String { rawValue }
    }

    /// The algorithm that produced the hash.
    public let algorithm: Algorithm

    /// The hash as lowercase hex digits (the part after the `:`).
    public let encoded: String

    /// Parses and validates a digest string.
    ///
    /// - Parameter string: A digest such as `sha256:` followed by 64 lowercase hex digits.
    /// - Throws: ``ReferenceError/digestInvalidFormat`` when the text is not `algorithm:encoded` or the hex is not
    ///   lowercase; ``ReferenceError/digestInvalidLength`` when the hex has the wrong length for its algorithm;
    ///   ``ReferenceError/digestUnsupported`` when the algorithm is well formed but not sha256 or sha512.
    public init(parsing string: String) throws(ReferenceError) {
        var string = string
        let parsed = string.withUTF8 { buffer -> Result<(Algorithm, String), ReferenceError> in
            ContentDigest.parse(buffer, 0, buffer.count)
        }
        switch parsed {
        case .success(let (algorithm, encoded)):
            self.algorithm = algorithm
            self.encoded = encoded
        case .failure(let error):
            throw error
        }
    }

    /// Creates a digest from an algorithm and its hex encoding, validating the encoding.
    ///
    /// - Parameters:
    ///   - algorithm: The hash algorithm.
    ///   - encoded: The hash as lowercase hex digits.
    /// - Throws: ``ReferenceError/digestInvalidLength`` or ``ReferenceError/digestInvalidFormat`` when `encoded`
    ///   does not fit `algorithm`.
    public init(algorithm: Algorithm, encoded: String) throws(ReferenceError) {
        var encoded = encoded
        let valid = encoded.withUTF8 { buffer -> ReferenceError? in
            ContentDigest.validateEncoded(buffer, 0, buffer.count, algorithm: algorithm)
        }
        if let valid { throw valid }
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// Creates a digest from raw hash bytes, such as the output of a hash function.
    ///
    /// - Parameters:
    ///   - algorithm: The hash algorithm that produced the bytes.
    ///   - hashBytes: Exactly ``Algorithm/byteCount`` bytes.
    /// - Throws: ``ReferenceError/digestInvalidLength`` when the byte count does not fit `algorithm`.
    public init(algorithm: Algorithm, hashBytes: some Sequence<UInt8>) throws(ReferenceError) {
        let encoded = Hex.encode(hashBytes)
        guard encoded.utf8.count == algorithm.encodedLength else { throw .digestInvalidLength }
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// Creates a digest from a swift-crypto SHA-256 result.
    ///
    /// - Parameter digest: The finished hash.
    public init(_ digest: SHA256.Digest) {
        self.algorithm = .sha256
        self.encoded = Hex.encode(digest)
    }

    /// Creates a digest from a swift-crypto SHA-512 result.
    ///
    /// - Parameter digest: The finished hash.
    public init(_ digest: SHA512.Digest) {
        self.algorithm = .sha512
        self.encoded = Hex.encode(digest)
    }

    /// Computes the SHA-256 digest of some bytes.
    ///
    /// - Parameter bytes: The content (an array, `Data`, a slice, …). Contiguous collections are hashed in place.
    /// - Returns: The digest of `bytes`.
    public static func sha256(of bytes: some Sequence<UInt8>) -> ContentDigest {
        compute(.sha256, of: bytes)
    }

    /// Computes the SHA-512 digest of some bytes.
    ///
    /// - Parameter bytes: The content.
    /// - Returns: The digest of `bytes`.
    public static func sha512(of bytes: some Sequence<UInt8>) -> ContentDigest {
        compute(.sha512, of: bytes)
    }

    /// Computes the digest of some bytes with the given algorithm.
    ///
    /// - Parameters:
    ///   - algorithm: The hash algorithm.
    ///   - bytes: The content.
    /// - Returns: The digest of `bytes`.
    public static func compute(_ algorithm: Algorithm, of bytes: some Sequence<UInt8>) -> ContentDigest {
        var hasher = DigestHasher(algorithm: algorithm)
        hasher.update(sequence: bytes)
        return hasher.finalize()
    }

    /// Whether `bytes` hash to this digest.
    ///
    /// - Parameter bytes: The content to check.
    /// - Returns: `true` when the digest of `bytes` with this digest's algorithm equals `self`.
    public func matches(_ bytes: some Sequence<UInt8>) -> Bool {
        ContentDigest.compute(algorithm, of: bytes) == self
    }

    /// The digest as `algorithm:encoded`.
    public var description: String { algorithm.rawValue + ":" + encoded }

    /// Orders digests by their string form.
    ///
    /// - Parameters:
    ///   - lhs: A digest.
    ///   - rhs: Another one.
    /// - Returns: Whether `lhs` sorts before `rhs`.
    public static func < (lhs: ContentDigest, rhs: ContentDigest) -> Bool {
        lhs.description < rhs.description
    }

    /// Decodes a digest from its string form.
    ///
    /// - Parameter decoder: The decoder to read a single string from.
    /// - Throws: `DecodingError.dataCorrupted` (with the ``ReferenceError`` as underlying error) when the string
    ///   is not a valid digest.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        do {
            self = try ContentDigest(parsing: string)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "invalid digest: \(error)", underlyingError: error)
            )
        }
    }

    /// Encodes the digest as its string form.
    ///
    /// - Parameter encoder: The encoder to write a single string to.
    /// - Throws: `EncodingError`, or whatever else the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    // MARK: - Parsing

    /// go-digest's `Validate`, restricted to the algorithms Dockyard supports.
    static func parse(_ b: Scanner.Bytes, _ lo: Int, _ hi: Int) -> Result<(Algorithm, String), ReferenceError> {
        var colon = -1
        for i in lo..<hi where b[i] == UInt8(ascii: ":") {
            colon = i
            break
        }
        guard colon > lo, colon + 1 < hi else { return .failure(.digestInvalidFormat) }
        let algorithm: Algorithm
        if Self.equals(b, lo, colon, "sha256") {
            algorithm = .sha256
        } else if Self.equals(b, lo, colon, "sha512") {
            algorithm = .sha512
        } else {
            return .failure(Scanner.isOCIDigest(b, lo, hi) ? .digestUnsupported : .digestInvalidFormat)
        }
        if let error = validateEncoded(b, colon + 1, hi, algorithm: algorithm) { return .failure(error) }
        return .success((algorithm, Scanner.string(b, colon + 1, hi)))
    }

    /// Length first, then lowercase hex, as go-digest's `Algorithm.Validate` does.
    static func validateEncoded(_ b: Scanner.Bytes, _ lo: Int, _ hi: Int, algorithm: Algorithm) -> ReferenceError? {
        guard hi - lo == algorithm.encodedLength else { return .digestInvalidLength }
        for i in lo..<hi where !Scanner.isLowerHex(b[i]) { return .digestInvalidFormat }
        return nil
    }

    private static func equals(_ b: Scanner.Bytes, _ lo: Int, _ hi: Int, _ literal: StaticString) -> Bool {
        guard hi - lo == literal.utf8CodeUnitCount else { return false }
        let start = literal.utf8Start
        for i in 0..<(hi - lo) where b[lo + i] != start[i] { return false }
        return true
    }
}

/// Lowercase hex encoding.
enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension ContentDigest {
    /// Creates a digest from parts already validated.
    init(uncheckedAlgorithm algorithm: Algorithm, encoded: String) {
        self.algorithm = algorithm
        self.encoded = encoded
    }
}
