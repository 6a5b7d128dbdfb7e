/// Docker Hub normalization rules of `distribution/reference` (`splitDockerDomain`), over UTF-8 bytes.
enum Normalization {
    private static let hubPrefix: StaticString = "docker.io/"
    private static let officialPrefix: StaticString = "docker.io/library/"

    /// What must be written before (and instead of the start of) a familiar name to make it fully qualified.
    enum Rewrite {
        /// The text is already `domain/remainder`.
        case keep
        /// Prepend `docker.io/`, or `docker.io/library/` when `official`, after dropping the first `drop` bytes
        /// (the `index.docker.io/` or `docker.io/` the user wrote).
        case prefix(official: Bool, drop: Int)
    }

    /// Decides how to qualify a familiar reference:
    ///
    /// - A single component (`ubuntu`, `ubuntu:24.04`) is an official image: `docker.io/library/ubuntu…`.
    /// - A first component equal to `localhost`, containing `.` or `:`, or containing uppercase is a domain;
    ///   `index.docker.io` becomes `docker.io`.
    /// - Otherwise the whole text is a Docker Hub path.
    /// - On Docker Hub, a path with one component gets `library/`.
    static func rewrite(_ b: Scanner.Bytes) -> Rewrite {
        let n = b.count
        var slash = -1
        for i in 0..<n where b[i] == UInt8(ascii: "/") {
            slash = i
            break
        }
        guard slash >= 0 else { return .prefix(official: true, drop: 0) }
        let restHasSlash = (slash + 1..<n).contains { b[$0] == UInt8(ascii: "/") }
        if equals(b, 0, slash, "localhost") { return .keep }
        if equals(b, 0, slash, "index.docker.io") || equals(b, 0, slash, "docker.io") {
            return .prefix(official: !restHasSlash, drop: slash + 1)
        }
        for i in 0..<slash where b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ":") { return .keep }
        if hasUppercase(b, 0, slash) { return .keep }
        return .prefix(official: false, drop: 0)
    }

    /// The fully qualified text for `b` under `rewrite`.
    static func qualified(_ b: Scanner.Bytes, _ rewrite: Rewrite) -> String {
        guard case .prefix(let official, let drop) = rewrite else { return Scanner.string(b, 0, b.count) }
        let prefix = official ? officialPrefix : hubPrefix
        let prefixCount = prefix.utf8CodeUnitCount
        let total = prefixCount + b.count - drop
        return String(unsafeUninitializedCapacity: total) { out in
            for i in 0..<prefixCount { out[i] = prefix.utf8Start[i] }
            for i in drop..<b.count { out[prefixCount + i - drop] = b[i] }
            return total
        }
    }

    /// Offset where the remainder (after `domain/`) starts in the qualified text.
    static func remainderStart(_ b: Scanner.Bytes, _ rewrite: Rewrite) -> Int {
        switch rewrite {
        case .prefix: hubPrefix.utf8CodeUnitCount
        case .keep:
            (0..<b.count).first { b[$0] == UInt8(ascii: "/") }.map { $0 + 1 } ?? 0
        }
    }

    /// Whether the bytes contain an uppercase letter (ASCII, or any non-ASCII letter lowercasing would change).
    static func hasUppercase(_ b: Scanner.Bytes, _ lo: Int, _ hi: Int) -> Bool {
        for i in lo..<hi {
            let c = b[i]
            if c >= 0x41 && c <= 0x5A { return true }
            if c >= 0x80 { return Casing.hasUppercase(Scanner.string(b, lo, hi)) }
        }
        return false
    }

    private static func equals(_ b: Scanner.Bytes, _ lo: Int, _ hi: Int, _ literal: StaticString) -> Bool {
        guard hi - lo == literal.utf8CodeUnitCount else { return false }
        let start = literal.utf8Start
        for i in 0..<(hi - lo) where b[lo + i] != start[i] { return false }
        return true
    }
}
