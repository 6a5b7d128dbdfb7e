import Foundation

/// Which tags of a repository a sync takes: regular expressions to include and exclude, a semantic-version range,
/// and the latest N.
///
/// The steps apply in that order: a tag must match one `include` pattern (all tags when there are none), no
/// `exclude` pattern, and the `semver` range (tags that are not versions fail a range, and pre-releases fail one
/// that names no pre-release); `latest` then keeps the N
/// highest versions (tags that are not versions count as older than any version, newest name first).
///
/// ```swift
/// let filter = TagFilter(include: [#"^v?\d+\.\d+"#], semver: ">=1.2.0 <2", latest: 3)
/// filter.apply(["1.1.0", "1.2.0", "1.3.1", "1.4.0", "2.0.0", "latest"])   // ["1.4.0", "1.3.1", "1.2.0"]
/// ```
public struct TagFilter: Sendable, Hashable {
    /// Regular expressions (ICU syntax, searched anywhere in the tag) a tag must match one of.
    public var include: [String]
    /// Regular expressions a tag must match none of.
    public var exclude: [String]
    /// A semantic-version range, such as `>=1.2.0 <2.0.0`, `^1.4`, `~1.2.3`, `1.x`, or `1.2 || ^3`.
    public var semver: String?
    /// How many tags to keep, highest versions first; all when `nil`.
    public var latest: Int?

    /// Creates a filter; the default takes every tag.
    ///
    /// - Parameters:
    ///   - include: Patterns a tag must match one of.
    ///   - exclude: Patterns a tag must match none of.
    ///   - semver: A version range.
    ///   - latest: How many to keep.
    public init(include: [String] = [], exclude: [String] = [], semver: String? = nil, latest: Int? = nil) {
        self.include = include
        self.exclude = exclude
        self.semver = semver
        self.latest = latest
    }

    /// Checks the patterns and the range.
    ///
    /// - Throws: ``SyncError`` naming the pattern or range that does not parse.
    public func validate() throws {
        for pattern in include + exclude {
            do { _ = try NSRegularExpression(pattern: pattern) } catch {
                throw SyncError(message: "the tag pattern \(pattern) is not a valid regular expression")
            }
        }
        if let semver, SemverRange(semver) == nil {
            throw SyncError(message: "the version range \(semver) is not valid; write comparators such as >=1.2.0 <2, ^1.4, ~1.2.3 or 1.x")
        }
        if let latest, latest < 1 { throw SyncError(message: "the number of latest tags must be at least 1, not \(latest)") }
    }

    /// The tags the filter takes, in the order given (or highest version first with ``latest``).
    ///
    /// - Parameter tags: A repository's tags.
    /// - Returns: The tags taken.
    public func apply(_ tags: [String]) -> [String] {
        let includes = include.compactMap { try? NSRegularExpression(pattern: $0) }
        let excludes = exclude.compactMap { try? NSRegularExpression(pattern: $0) }
        let range = semver.flatMap(SemverRange.init)
        func matches(_ expression: NSRegularExpression, _ tag: String) -> Bool {
            expression.firstMatch(in: tag, range: NSRange(tag.startIndex..., in: tag)) != nil
        }
        var taken = tags.filter { tag in
            (includes.isEmpty || includes.contains { matches($0, tag) })
                && !excludes.contains { matches($0, tag) }
                && (range.map { range in
                    // As npm does, pre-releases fall in a range only when the range itself names one.
                    SemanticVersion(tag).map { ($0.prerelease.isEmpty || semver?.contains("-") == true) && range.contains($0) } ?? false
                } ?? true)
        }
        if let latest {
            taken.sort { a, b in
                switch (SemanticVersion(a), SemanticVersion(b)) {
                case let (x?, y?): return x == y ? a > b : y < x
                case (.some, nil): return true
                case (nil, .some): return false
                case (nil, nil): return a > b
                }
            }
            taken = Array(taken.prefix(max(0, latest)))
        }
        return taken
    }
}

/// A version as tags write it: `1`, `1.2`, `v1.2.3`, `1.2.3-rc.1` (missing parts are 0; build metadata ignored).
struct SemanticVersion: Comparable, Hashable {
    var major: Int, minor: Int, patch: Int
    var prerelease: [String]
    /// How many numeric parts the text gave (for `1.x`-style partial ranges).
    var parts: Int

    init?(_ text: String) {
        var body = Substring(text)
        if body.first == "v" || body.first == "V" { body = body.dropFirst() }
        if let plus = body.firstIndex(of: "+") { body = body[..<plus] }
        var pre: [String] = []
        if let dash = body.firstIndex(of: "-") {
            pre = body[body.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !pre.isEmpty, pre.allSatisfy({ !$0.isEmpty }) else { return nil }
            body = body[..<dash]
        }
        let numbers = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(numbers.count) else { return nil }
        var values: [Int] = []
        for number in numbers {
            guard !number.isEmpty, number.allSatisfy(\.isASCII), number.allSatisfy(\.isNumber), number.count <= 9,
                let value = Int(number)
            else { return nil }
            values.append(value)
        }
        major = values[0]
        minor = values.count > 1 ? values[1] : 0
        patch = values.count > 2 ? values[2] : 0
        prerelease = pre
        parts = values.count
    }

    init(major: Int, minor: Int, patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
        prerelease = []
        parts = 3
    }

    static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        if (a.major, a.minor, a.patch) != (b.major, b.minor, b.patch) {
            return (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
        }
        // A pre-release sorts before its release; identifiers compare numerically when both are numbers.
        switch (a.prerelease.isEmpty, b.prerelease.isEmpty) {
        case (true, true), (true, false): return false
        case (false, true): return true
        case (false, false):
            for (x, y) in zip(a.prerelease, b.prerelease) where x != y {
                if let i = Int(x), let j = Int(y) { return i < j }
                return x < y
            }
            return a.prerelease.count < b.prerelease.count
        }
    }

    static func == (a: SemanticVersion, b: SemanticVersion) -> Bool {
        (a.major, a.minor, a.patch) == (b.major, b.minor, b.patch) && a.prerelease == b.prerelease
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
        hasher.combine(prerelease)
    }
}

/// A range of versions, as npm and regclient write them: comparators joined by spaces (all must hold), sets
/// joined by `||` (one must hold). Comparators: `>=`, `>`, `<=`, `<`, `=`, `^` (same major), `~` (same minor),
/// and partial versions with `x` or `*` (`1.x`, `1.2.*`).
struct SemverRange {
    private let sets: [[Comparator]]

    private enum Comparator {
        case less(SemanticVersion, orEqual: Bool)
        case greater(SemanticVersion, orEqual: Bool)

        func holds(_ v: SemanticVersion) -> Bool {
            switch self {
            case .less(let bound, let orEqual): return orEqual ? v <= bound : v < bound
            case .greater(let bound, let orEqual): return orEqual ? v >= bound : v > bound
            }
        }
    }

    init?(_ text: String) {
        var sets: [[Comparator]] = []
        for alternative in text.components(separatedBy: "||") {
            var set: [Comparator] = []
            for token in alternative.split(separator: " ") {
                guard let comparators = SemverRange.parse(String(token)) else { return nil }
                set += comparators
            }
            guard !set.isEmpty || alternative.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
            sets.append(set)
        }
        guard !sets.isEmpty else { return nil }
        self.sets = sets
    }

    func contains(_ version: SemanticVersion) -> Bool {
        sets.contains { set in set.allSatisfy { $0.holds(version) } }
    }

    private static func parse(_ token: String) -> [Comparator]? {
        for op in [">=", "<=", ">", "<", "=", "^", "~"] where token.hasPrefix(op) {
            let rest = String(token.dropFirst(op.count))
            guard let (low, high) = bounds(rest) else { return nil }
            switch op {
            case ">=": return [.greater(low, orEqual: true)]
            case ">": return [high.map { .greater($0, orEqual: true) } ?? .greater(low, orEqual: false)]
            case "<=": return [high.map { .less($0, orEqual: false) } ?? .less(low, orEqual: true)]
            case "<": return [.less(low, orEqual: false)]
            case "^":
                let upper = low.major > 0 ? SemanticVersion(major: low.major + 1, minor: 0, patch: 0)
                    : low.minor > 0 || (SemanticVersion(rest)?.parts ?? 0) < 3 ? SemanticVersion(major: 0, minor: low.minor + 1, patch: 0)
                    : SemanticVersion(major: 0, minor: 0, patch: low.patch + 1)
                return [.greater(low, orEqual: true), .less(upper, orEqual: false)]
            case "~":
                let upper = (SemanticVersion(rest)?.parts ?? 0) < 2
                    ? SemanticVersion(major: low.major + 1, minor: 0, patch: 0)
                    : SemanticVersion(major: low.major, minor: low.minor + 1, patch: 0)
                return [.greater(low, orEqual: true), .less(upper, orEqual: false)]
            default:
                return [.greater(low, orEqual: true)] + (high.map { [.less($0, orEqual: false)] } ?? [.less(low, orEqual: true)])
            }
        }
        guard let (low, high) = bounds(token) else { return nil }
        return [.greater(low, orEqual: true)] + (high.map { [.less($0, orEqual: false)] } ?? [.less(low, orEqual: true)])
    }

    /// The lowest version a partial version covers and, when partial, the first version past it.
    private static func bounds(_ text: String) -> (SemanticVersion, SemanticVersion?)? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let wild: Set<String> = ["x", "X", "*"]
        if let firstWild = parts.firstIndex(where: { wild.contains($0) }) {
            guard firstWild > 0 || parts.count == 1 else { return nil }
            if firstWild == 0 { return (SemanticVersion(major: 0, minor: 0, patch: 0), nil) }
            guard let base = SemanticVersion(parts[..<firstWild].joined(separator: ".")) else { return nil }
            return (base, firstWild == 1
                ? SemanticVersion(major: base.major + 1, minor: 0, patch: 0)
                : SemanticVersion(major: base.major, minor: base.minor + 1, patch: 0))
        }
        guard let version = SemanticVersion(text) else { return nil }
        switch version.parts {
        case 1: return (version, SemanticVersion(major: version.major + 1, minor: 0, patch: 0))
        case 2: return (version, SemanticVersion(major: version.major, minor: version.minor + 1, patch: 0))
        default: return (version, nil)
        }
    }
}
