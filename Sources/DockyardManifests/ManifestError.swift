/// An error thrown while reading, validating or building a manifest, index, configuration or descriptor.
///
/// Every error says what is wrong and where: ``path`` locates the offending value inside the document as a JSON
/// path (`layers[2].digest`, `manifests[0].platform.architecture`), empty for the document as a whole.
/// ``code`` classifies the failure; it is a struct with static members rather than an enum so that new kinds of
/// failure can be added without breaking anyone's `switch`.
///
/// ```swift
/// do {
///     let document = try ManifestDocument(bytes: body, mediaType: contentType)
/// } catch {
///     print(error)           // "layers[2].digest: sha256 digest must have 64 hex digits, found 63"
///     print(error.code)      // "invalidDigest"
/// }
/// ```
public struct ManifestError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure, stable across releases and usable in scripts (its ``rawValue`` is a name such as
    /// `"invalidDigest"`).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let rawValue: String

        /// Creates a code from its name.
        ///
        /// - Parameter rawValue: The code's name.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The code's name.
        public var description: String { rawValue }

        /// The document is larger than ``ManifestDocument/maximumSize`` (4 MiB) and was not read.
        public static let documentTooLarge = Code(rawValue: "documentTooLarge")
        /// The bytes are not well-formed JSON (RFC 8259), or not UTF-8.
        public static let invalidJSON = Code(rawValue: "invalidJSON")
        /// Arrays and objects nest deeper than the parser allows.
        public static let nestingTooDeep = Code(rawValue: "nestingTooDeep")
        /// An object names the same key twice, which different parsers would read differently.
        public static let duplicateKey = Code(rawValue: "duplicateKey")
        /// A required field is absent.
        public static let missingField = Code(rawValue: "missingField")
        /// A value has the wrong JSON type (for example a string where an integer is required).
        public static let wrongType = Code(rawValue: "wrongType")
        /// A value has the right type but is not allowed (for example an environment entry without `=`).
        public static let invalidValue = Code(rawValue: "invalidValue")
        /// A media type does not match the RFC 6838 grammar the OCI schemas require.
        public static let invalidMediaType = Code(rawValue: "invalidMediaType")
        /// A document's `mediaType` (or the `Content-Type` it arrived with) names a different kind of document.
        public static let mediaTypeMismatch = Code(rawValue: "mediaTypeMismatch")
        /// A digest is malformed, or its hex part has the wrong length or case for its algorithm.
        public static let invalidDigest = Code(rawValue: "invalidDigest")
        /// A digest is well formed but uses an algorithm Dockyard cannot verify (only sha256 and sha512 are).
        public static let unsupportedDigest = Code(rawValue: "unsupportedDigest")
        /// A size is not an integer from 0 to 2^63-1.
        public static let invalidSize = Code(rawValue: "invalidSize")
        /// A URL in a descriptor's `urls` is not a valid absolute URI.
        public static let invalidURL = Code(rawValue: "invalidURL")
        /// A descriptor's `data` is not standard, padded base64.
        public static let invalidBase64 = Code(rawValue: "invalidBase64")
        /// A descriptor's embedded `data` does not have the descriptor's size or digest.
        public static let dataMismatch = Code(rawValue: "dataMismatch")
        /// `schemaVersion` is not the version this kind of document requires (2, or 1 for legacy schema 1).
        public static let unsupportedSchemaVersion = Code(rawValue: "unsupportedSchemaVersion")
        /// The kind of document could not be told from its media type or shape, or is not one this API accepts.
        public static let unknownDocumentKind = Code(rawValue: "unknownDocumentKind")
        /// A platform specifier such as `linux/arm64/v8` is malformed.
        public static let invalidPlatform = Code(rawValue: "invalidPlatform")
        /// A value could not be encoded to JSON.
        public static let encodingFailed = Code(rawValue: "encodingFailed")
    }

    /// What kind of failure this is.
    public var code: Code

    /// Where in the document the failure is, as a JSON path such as `layers[2].digest`; empty for the whole document.
    public var path: String

    /// What is wrong, in one sentence.
    public var message: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What kind of failure this is.
    ///   - path: Where in the document it is (empty for the whole document).
    ///   - message: What is wrong.
    public init(_ code: Code, at path: String = "", _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    /// `path: message`, or just the message for an error about the whole document.
    public var description: String {
        path.isEmpty ? message : "\(path): \(message)"
    }
}

/// Builds JSON paths such as `layers[2].digest` or `manifests[0].platform["os.version"]`.
enum JSONPath {
    /// The path of `key` inside the object at `path`.
    static func member(_ path: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
        }
        if plain { return path.isEmpty ? key : path + "." + key }
        var escaped = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case let c where c.value < 0x20: escaped += "\\u" + String(c.value, radix: 16)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return path + "[\"" + escaped + "\"]"
    }

    /// The path of element `index` inside the array at `path`.
    static func element(_ path: String, _ index: Int) -> String {
        path + "[\(index)]"
    }
}
