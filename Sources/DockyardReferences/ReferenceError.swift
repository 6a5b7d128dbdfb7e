/// An error thrown while parsing or building an image reference, repository name, tag, or digest.
///
/// The cases mirror the errors of Docker's `distribution/reference` package and of
/// `opencontainers/go-digest`, so a failure reads the same as it would in `docker`, `containerd`,
/// or any Go registry tool. The set is closed: every API in `DockyardReferences` throws only this type
/// (`throws(ReferenceError)`).
public enum ReferenceError: Error, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The text does not follow the reference grammar `[domain/]path[:tag][@digest]`.
    case invalidFormat
    /// A tag does not match `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    case tagInvalidFormat
    /// A digest is not `algorithm:encoded` with the encoding its algorithm requires.
    case digestInvalidFormat
    /// A digest's encoded part has the wrong length for its algorithm (64 hex digits for sha256, 128 for sha512).
    case digestInvalidLength
    /// A digest is well formed but names an algorithm other than sha256 or sha512.
    case digestUnsupported
    /// A repository name contains uppercase letters; names must be lowercase.
    case nameContainsUppercase
    /// The text is empty, so there is no repository name to parse.
    case nameEmpty
    /// A repository name is longer than ``Repository/maximumNameLength`` (255) characters.
    case nameTooLong
    /// A name is valid but not in its canonical, fully qualified form (for example `ubuntu` instead of
    /// `docker.io/library/ubuntu`).
    case nameNotCanonical
    /// A 64-character hexadecimal string was given where a repository name was expected; it reads as an image ID.
    case nameIsIdentifier
    /// A repository name was expected, but the text also carries a tag or digest.
    case unexpectedTagOrDigest
    /// A glob pattern given to ``FamiliarPattern`` is malformed (for example an unterminated `[` class).
    case invalidPattern

    /// The case's name, stable across releases (for example `"nameContainsUppercase"`), for scripts and JSON output.
    public var code: String {
        switch self {
        case .invalidFormat: "invalidFormat"
        case .tagInvalidFormat: "tagInvalidFormat"
        case .digestInvalidFormat: "digestInvalidFormat"
        case .digestInvalidLength: "digestInvalidLength"
        case .digestUnsupported: "digestUnsupported"
        case .nameContainsUppercase: "nameContainsUppercase"
        case .nameEmpty: "nameEmpty"
        case .nameTooLong: "nameTooLong"
        case .nameNotCanonical: "nameNotCanonical"
        case .nameIsIdentifier: "nameIsIdentifier"
        case .unexpectedTagOrDigest: "unexpectedTagOrDigest"
        case .invalidPattern: "invalidPattern"
        }
    }

    /// What went wrong and how to fix it, in one sentence.
    public var description: String {
        switch self {
        case .invalidFormat:
            "invalid reference format: expected [domain[:port]/]path[:tag][@algorithm:hex], with a lowercase path of "
                + "letters, digits and single separators (., _, __, -)"
        case .tagInvalidFormat:
            "invalid tag format: a tag is 1 to 128 characters of letters, digits, '_', '.' and '-', not starting with '.' or '-'"
        case .digestInvalidFormat:
            "invalid digest format: expected algorithm:hex, for example sha256: followed by 64 lowercase hex digits"
        case .digestInvalidLength:
            "invalid digest length: sha256 needs 64 hex digits and sha512 needs 128"
        case .digestUnsupported:
            "unsupported digest algorithm: use sha256 or sha512"
        case .nameContainsUppercase:
            "repository name must be lowercase: use lowercase letters in the path (only the domain may contain uppercase)"
        case .nameEmpty:
            "repository name must have at least one component: the reference is empty"
        case .nameTooLong:
            "repository name must not be more than 255 characters"
        case .nameNotCanonical:
            "repository name must be canonical: give the fully qualified form, for example docker.io/library/ubuntu"
        case .nameIsIdentifier:
            "invalid repository name: a 64-character hexadecimal string is an image ID, not a name; "
                + "prefix it with sha256: to use it as a digest"
        case .unexpectedTagOrDigest:
            "a repository name must not carry a tag or digest: remove the :tag or @digest suffix"
        case .invalidPattern:
            "malformed pattern: check '[...]' classes and trailing '\\' escapes"
        }
    }
}
