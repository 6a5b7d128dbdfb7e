/// A glob pattern matched against the familiar form of references (upstream `FamiliarMatch`), with the syntax
/// and semantics of Go's `path.Match`.
///
/// - `*` matches any run of characters except `/`;
/// - `?` matches one character except `/`;
/// - `[abc]`, `[a-z]`, `[^a-z]` match one character in (or not in) the class;
/// - `\` escapes the next character.
///
/// A reference matches when the pattern matches its familiar string (`ubuntu:24.04`) or its familiar name
/// (`ubuntu`), so `library/*` style patterns and `team/app:*` both work.
public struct FamiliarPattern: Hashable, Sendable, CustomStringConvertible {
    enum Token: Hashable, Sendable {
        case literal(Unicode.Scalar)
        case anyCharacter
        case set(ranges: [ScalarRange], negated: Bool)
    }

    /// `lo...hi` of a class; as in Go, a range with `lo > hi` is allowed and matches nothing.
    struct ScalarRange: Hashable, Sendable {
        var lo: UInt32
        var hi: UInt32
    }

    struct Chunk: Hashable, Sendable {
        var star: Bool
        var tokens: [Token]
    }

    /// The pattern text.
    public let pattern: String
    let chunks: [Chunk]

    /// Compiles a pattern.
    ///
    /// - Parameter pattern: A `path.Match` glob such as `team/*` or `ubuntu:2[34].*`.
    /// - Throws: ``ReferenceError/invalidPattern`` when the pattern is malformed (an unterminated or empty class,
    ///   a range starting with `-`, a trailing `\`).
    public init(_ pattern: String) throws(ReferenceError) {
        self.pattern = pattern
        self.chunks = try FamiliarPattern.compile(Array(pattern.unicodeScalars))
    }

    /// The pattern text.
    public var description: String { pattern }

    /// Whether the pattern matches a string, with `path.Match` semantics.
    ///
    /// - Parameter text: The text to match, as a whole.
    /// - Returns: `true` when the whole text matches.
    public func matches(_ text: String) -> Bool {
        FamiliarPattern.match(chunks, Array(text.unicodeScalars))
    }

    /// Whether the pattern matches a reference's familiar string or familiar name.
    ///
    /// - Parameter reference: The reference to test.
    /// - Returns: `true` on a match.
    public func matches(_ reference: ImageReference) -> Bool {
        matches(reference.familiar) || matches(reference.familiarName)
    }

    /// Whether the pattern matches a reference's familiar form (for a bare digest, its string form).
    ///
    /// - Parameter reference: The reference to test.
    /// - Returns: `true` on a match.
    public func matches(_ reference: AnyReference) -> Bool {
        switch reference {
        case .image(let image): matches(image)
        case .digest(let digest): matches(digest.description)
        }
    }

    // MARK: - Compiling

    private static func compile(_ p: [Unicode.Scalar]) throws(ReferenceError) -> [Chunk] {
        var chunks: [Chunk] = []
        var i = 0
        while i < p.count {
            var star = false
            while i < p.count, p[i] == "*" {
                star = true
                i += 1
            }
            var tokens: [Token] = []
            while i < p.count, p[i] != "*" {
                switch p[i] {
                case "?":
                    tokens.append(.anyCharacter)
                    i += 1
                case "[":
                    i += 1
                    var negated = false
                    if i < p.count, p[i] == "^" {
                        negated = true
                        i += 1
                    }
                    var ranges: [ScalarRange] = []
                    while true {
                        if i < p.count, p[i] == "]", !ranges.isEmpty {
                            i += 1
                            break
                        }
                        let lo = try escaped(p, &i)
                        var hi = lo
                        if i < p.count, p[i] == "-" {
                            i += 1
                            hi = try escaped(p, &i)
                        }
                        ranges.append(ScalarRange(lo: lo.value, hi: hi.value))
                    }
                    tokens.append(.set(ranges: ranges, negated: negated))
                case "\\":
                    i += 1
                    guard i < p.count else { throw .invalidPattern }
                    tokens.append(.literal(p[i]))
                    i += 1
                default:
                    tokens.append(.literal(p[i]))
                    i += 1
                }
            }
            chunks.append(Chunk(star: star, tokens: tokens))
        }
        return chunks
    }

    /// One class character, possibly escaped (Go's `getEsc`); the class must continue after it.
    private static func escaped(_ p: [Unicode.Scalar], _ i: inout Int) throws(ReferenceError) -> Unicode.Scalar {
        guard i < p.count, p[i] != "-", p[i] != "]" else { throw .invalidPattern }
        if p[i] == "\\" {
            i += 1
            guard i < p.count else { throw .invalidPattern }
        }
        let scalar = p[i]
        i += 1
        guard i < p.count else { throw .invalidPattern }
        return scalar
    }

    // MARK: - Matching (Go's path.Match algorithm over compiled chunks)

    private static func match(_ chunks: [Chunk], _ name: [Unicode.Scalar]) -> Bool {
        var position = 0
        chunkLoop: for (index, chunk) in chunks.enumerated() {
            let isLast = index == chunks.count - 1
            if chunk.star, chunk.tokens.isEmpty {
                return !name[position...].contains("/")
            }
            if let end = matchChunk(chunk.tokens, name, position), end == name.count || !isLast {
                position = end
                continue
            }
            if chunk.star {
                var i = position
                while i < name.count, name[i] != "/" {
                    if let end = matchChunk(chunk.tokens, name, i + 1) {
                        if isLast, end < name.count {
                            i += 1
                            continue
                        }
                        position = end
                        continue chunkLoop
                    }
                    i += 1
                }
            }
            return false
        }
        return position == name.count
    }

    private static func matchChunk(_ tokens: [Token], _ name: [Unicode.Scalar], _ start: Int) -> Int? {
        var i = start
        for token in tokens {
            guard i < name.count else { return nil }
            let c = name[i]
            switch token {
            case .literal(let literal):
                guard c == literal else { return nil }
            case .anyCharacter:
                guard c != "/" else { return nil }
            case .set(let ranges, let negated):
                let inSet = ranges.contains { $0.lo <= c.value && c.value <= $0.hi }
                guard inSet != negated else { return nil }
            }
            i += 1
        }
        return i
    }
}

extension ImageReference {
    /// Whether the reference's familiar form matches a glob pattern (upstream `FamiliarMatch`).
    ///
    /// - Parameter pattern: A `path.Match` glob such as `team/*`.
    /// - Returns: `true` when the pattern matches ``familiar`` or ``familiarName``.
    /// - Throws: ``ReferenceError/invalidPattern`` when the pattern is malformed.
    public func matches(familiarPattern pattern: String) throws(ReferenceError) -> Bool {
        try FamiliarPattern(pattern).matches(self)
    }
}

extension AnyReference {
    /// Whether the reference's familiar form matches a glob pattern (upstream `FamiliarMatch`).
    ///
    /// - Parameter pattern: A `path.Match` glob.
    /// - Returns: `true` on a match.
    /// - Throws: ``ReferenceError/invalidPattern`` when the pattern is malformed.
    public func matches(familiarPattern pattern: String) throws(ReferenceError) -> Bool {
        try FamiliarPattern(pattern).matches(self)
    }
}
