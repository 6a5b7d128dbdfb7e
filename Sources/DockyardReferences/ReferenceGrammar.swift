/// The reference grammar of `distribution/reference`, checked by hand-written scanners over UTF-8 bytes.
///
/// ```
/// reference        := name [ ":" tag ] [ "@" digest ]
/// name             := [domain '/'] remote-name
/// domain           := host [':' port-number]
/// host             := domain-name | '[' IPv6address ']'
/// domain-name      := domain-component ['.' domain-component]*
/// domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
/// port-number      := /[0-9]+/
/// remote-name      := path-component ['/' path-component]*
/// path-component   := alpha-numeric [separator alpha-numeric]*
/// alpha-numeric    := /[a-z0-9]+/
/// separator        := /[_.]|__|[-]+/
/// tag              := /[\w][\w.-]{0,127}/
/// digest           := algorithm ":" /[0-9a-fA-F]{32,}/
/// algorithm        := /[A-Za-z][A-Za-z0-9]*/ [ /[-_+.]/ /[A-Za-z][A-Za-z0-9]*/ ]*
/// identifier       := /[a-f0-9]{64}/
/// ```
///
/// These checks are purely syntactic, like upstream's exported regular expressions (`DomainRegexp`,
/// `TagRegexp`, `IdentifierRegexp`, `NameRegexp`, `ReferenceRegexp`): they apply no length limit on names
/// and do not check digest algorithms. Use ``ImageReference``, ``Repository`` and ``ContentDigest`` to parse.
public enum ReferenceGrammar {
    /// Whether `text` is a registry domain: a host name, IPv4 address or bracketed IPv6 address, with an optional port.
    ///
    /// - Parameter text: The candidate domain, for example `registry.example.com:5000` or `[::1]:5000`.
    /// - Returns: `true` when the whole text matches the `domain` production.
    public static func isDomain(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { Scanner.isDomain($0, 0, $0.count) }
    }

    /// Whether `text` is a repository path (`remote-name`): lowercase components joined by `/`.
    ///
    /// - Parameter text: The candidate path, for example `library/ubuntu`.
    /// - Returns: `true` when the whole text matches the `remote-name` production.
    public static func isPath(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { Scanner.isRemoteName($0, 0, $0.count) }
    }

    /// Whether `text` is a valid tag: 1 to 128 characters of `[A-Za-z0-9_.-]`, not starting with `.` or `-`.
    ///
    /// - Parameter text: The candidate tag.
    /// - Returns: `true` when the whole text matches the `tag` production.
    public static func isTag(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { Scanner.isTag($0, 0, $0.count) }
    }

    /// Whether `text` is an image identifier: exactly 64 lowercase hexadecimal digits.
    ///
    /// - Parameter text: The candidate identifier.
    /// - Returns: `true` when the whole text matches the `identifier` production.
    public static func isIdentifier(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { Scanner.isIdentifier($0, 0, $0.count) }
    }

    /// Whether `text` is a digest as the reference grammar accepts it (`algorithm:` and at least 32 hex digits).
    ///
    /// This is looser than ``ContentDigest/init(parsing:)``, which also checks the algorithm and exact length.
    ///
    /// - Parameter text: The candidate digest.
    /// - Returns: `true` when the whole text matches the `digest` production.
    public static func isReferenceDigest(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { Scanner.isReferenceDigest($0, 0, $0.count) }
    }

    /// Whether `text` matches the OCI image-spec digest grammar,
    /// `[a-z0-9]+([+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+` (image-spec `descriptor.md`, "Digests").
    ///
    /// - Parameter text: The candidate digest.
    /// - Returns: `true` when the whole text matches the OCI grammar, whatever its algorithm.
    public static func isOCIDigest(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { Scanner.isOCIDigest($0, 0, $0.count) }
    }

    /// Splits a name (no tag, no digest) into its domain and path, exactly as the anchored name grammar does:
    /// the first component is the domain when it is a valid domain and the rest is a valid path.
    ///
    /// - Parameter name: The candidate name, for example `localhost:5000/team/app`.
    /// - Returns: The domain (`""` when there is none) and the path, or `nil` when `name` is not a name.
    public static func splitName(_ name: String) -> (domain: String, path: String)? {
        var name = name
        return name.withUTF8 { buffer -> (domain: String, path: String)? in
            guard let split = Scanner.splitName(buffer, 0, buffer.count) else { return nil }
            guard let slash = split else { return ("", Scanner.string(buffer, 0, buffer.count)) }
            return (Scanner.string(buffer, 0, slash), Scanner.string(buffer, slash + 1, buffer.count))
        }
    }

    /// Splits a reference into name, tag and digest by the reference grammar alone (no length or algorithm checks).
    ///
    /// - Parameter reference: The candidate reference.
    /// - Returns: The name and, when present, the tag and digest texts; `nil` when the grammar does not match.
    public static func splitReference(_ reference: String) -> (name: String, tag: String?, digest: String?)? {
        var reference = reference
        return reference.withUTF8 { buffer -> (name: String, tag: String?, digest: String?)? in
            guard let parts = Scanner.scanReference(buffer) else { return nil }
            return (
                Scanner.string(buffer, 0, parts.nameEnd),
                parts.tag.map { Scanner.string(buffer, $0.lowerBound, $0.upperBound) },
                parts.digest.map { Scanner.string(buffer, $0.lowerBound, $0.upperBound) }
            )
        }
    }
}

/// Byte-level scanners shared by the parsers. Ranges are half-open `[lo, hi)` offsets into a UTF-8 buffer.
enum Scanner {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// The parts of a reference that matched the grammar.
    struct ReferenceParts {
        /// End of the name (the name starts at 0).
        var nameEnd: Int
        /// Offset of the `/` after the domain, or `nil` when the name has no domain.
        var domainSlash: Int?
        var tag: Range<Int>?
        var digest: Range<Int>?
    }

    @inline(__always) static func isLowerAlnum(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
    }

    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool {
        isLowerAlnum(c) || (c >= 0x41 && c <= 0x5A)
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    @inline(__always) static func isHex(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
    }

    @inline(__always) static func isLowerHex(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= 0x61 && c <= 0x66)
    }

    /// `\w` in RE2: ASCII letters, digits and underscore.
    @inline(__always) static func isWord(_ c: UInt8) -> Bool { isAlnum(c) || c == 0x5F }

    static func string(_ b: Bytes, _ lo: Int, _ hi: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: b[lo..<hi]), as: UTF8.self)
    }

    /// `host [':' port]`.
    static func isDomain(_ b: Bytes, _ lo: Int, _ hi: Int) -> Bool {
        guard lo < hi else { return false }
        var i = lo
        if b[i] == UInt8(ascii: "[") {
            // '[' [a-fA-F0-9:]+ ']'
            i += 1
            let start = i
            while i < hi, isHex(b[i]) || b[i] == UInt8(ascii: ":") { i += 1 }
            guard i > start, i < hi, b[i] == UInt8(ascii: "]") else { return false }
            i += 1
        } else {
            // domain-component ('.' domain-component)*
            while true {
                let start = i
                while i < hi, isAlnum(b[i]) || b[i] == UInt8(ascii: "-") { i += 1 }
                guard i > start, b[start] != UInt8(ascii: "-"), b[i - 1] != UInt8(ascii: "-") else { return false }
                if i < hi, b[i] == UInt8(ascii: ".") {
                    i += 1
                    continue
                }
                break
            }
        }
        if i == hi { return true }
        guard b[i] == UInt8(ascii: ":") else { return false }
        i += 1
        guard i < hi else { return false }
        while i < hi {
            guard isDigit(b[i]) else { return false }
            i += 1
        }
        return true
    }

    /// `path-component ('/' path-component)*`.
    static func isRemoteName(_ b: Bytes, _ lo: Int, _ hi: Int) -> Bool {
        guard lo < hi else { return false }
        var i = lo
        while true {
            // alpha-numeric (separator alpha-numeric)*
            guard i < hi, isLowerAlnum(b[i]) else { return false }
            while i < hi, isLowerAlnum(b[i]) { i += 1 }
            while i < hi, b[i] != UInt8(ascii: "/") {
                switch b[i] {
                case UInt8(ascii: "."):
                    i += 1
                case UInt8(ascii: "_"):
                    i += 1
                    if i < hi, b[i] == UInt8(ascii: "_") { i += 1 }
                case UInt8(ascii: "-"):
                    while i < hi, b[i] == UInt8(ascii: "-") { i += 1 }
                default:
                    return false
                }
                guard i < hi, isLowerAlnum(b[i]) else { return false }
                while i < hi, isLowerAlnum(b[i]) { i += 1 }
            }
            if i == hi { return true }
            i += 1  // '/'
        }
    }

    /// `[\w][\w.-]{0,127}`.
    static func isTag(_ b: Bytes, _ lo: Int, _ hi: Int) -> Bool {
        let count = hi - lo
        guard count >= 1, count <= ImageReference.maximumTagLength, isWord(b[lo]) else { return false }
        var i = lo + 1
        while i < hi {
            let c = b[i]
            guard isWord(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "-") else { return false }
            i += 1
        }
        return true
    }

    /// `[a-f0-9]{64}`.
    static func isIdentifier(_ b: Bytes, _ lo: Int, _ hi: Int) -> Bool {
        guard hi - lo == 64 else { return false }
        for i in lo..<hi where !isLowerHex(b[i]) { return false }
        return true
    }

    /// The reference grammar's digest: `[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`.
    static func isReferenceDigest(_ b: Bytes, _ lo: Int, _ hi: Int) -> Bool {
        var i = lo
        while true {
            guard i < hi, isAlnum(b[i]), !isDigit(b[i]) else { return false }
            i += 1
            while i < hi, isAlnum(b[i]) { i += 1 }
            guard i < hi else { return false }
            switch b[i] {
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "."):
                i += 1
                continue
            case UInt8(ascii: ":"):
                i += 1
                guard hi - i >= 32 else { return false }
                while i < hi {
                    guard isHex(b[i]) else { return false }
                    i += 1
                }
                return true
            default:
                return false
            }
        }
    }

    /// go-digest's anchored `DigestRegexp`: `[a-z0-9]+([.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+`.
    static func isOCIDigest(_ b: Bytes, _ lo: Int, _ hi: Int) -> Bool {
        var i = lo
        while true {
            guard i < hi, isLowerAlnum(b[i]) else { return false }
            while i < hi, isLowerAlnum(b[i]) { i += 1 }
            guard i < hi else { return false }
            switch b[i] {
            case UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                i += 1
                continue
            case UInt8(ascii: ":"):
                i += 1
                guard i < hi else { return false }
                while i < hi {
                    let c = b[i]
                    guard isAlnum(c) || c == UInt8(ascii: "=") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") else {
                        return false
                    }
                    i += 1
                }
                return true
            default:
                return false
            }
        }
    }

    /// Splits a name the way the anchored name grammar `^(?:(domain)/)?(remote-name)$` does.
    ///
    /// - Returns: `nil` when the text is not a name; `.some(nil)` when it is a name without a domain;
    ///   `.some(slash)` with the offset of the `/` that ends the domain.
    static func splitName(_ b: Bytes, _ lo: Int, _ hi: Int) -> Int?? {
        var slash: Int?
        var i = lo
        while i < hi {
            if b[i] == UInt8(ascii: "/") {
                slash = i
                break
            }
            i += 1
        }
        if let slash, isDomain(b, lo, slash), isRemoteName(b, slash + 1, hi) {
            return .some(slash)
        }
        if isRemoteName(b, lo, hi) { return .some(nil) }
        return nil
    }

    /// Matches the whole reference grammar, without length limits or digest validation.
    static func scanReference(_ b: Bytes) -> ReferenceParts? {
        let n = b.count
        var leftEnd = n
        var digest: Range<Int>?
        var lastColon = -1
        var lastSlash = -1
        var i = 0
        while i < n {
            switch b[i] {
            case UInt8(ascii: "@"):
                leftEnd = i
                digest = (i + 1)..<n
                i = n
                continue
            case UInt8(ascii: ":"): lastColon = i
            case UInt8(ascii: "/"): lastSlash = i
            default: break
            }
            i += 1
        }
        if let digest, !isReferenceDigest(b, digest.lowerBound, digest.upperBound) { return nil }
        var nameEnd = leftEnd
        var tag: Range<Int>?
        if lastColon > lastSlash {
            nameEnd = lastColon
            tag = (lastColon + 1)..<leftEnd
            guard isTag(b, lastColon + 1, leftEnd) else { return nil }
        }
        guard let split = splitName(b, 0, nameEnd) else { return nil }
        return ReferenceParts(nameEnd: nameEnd, domainSlash: split, tag: tag, digest: digest)
    }
}
