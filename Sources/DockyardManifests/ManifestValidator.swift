import DockyardReferences

/// Validates manifests, indexes, configurations, descriptors and `oci-layout` files as strictly as the OCI
/// image-spec JSON schemas (`schema/*.json`) together with the checks image-spec's Go validator adds
/// (`schema/validator.go`) and go-digest's `Digest.Validate`.
///
/// The rules, by kind (image-spec 1.1):
/// - **descriptor**: `mediaType` (RFC 6838 restricted name, ≤ 127 + 127 characters), `size` (integer,
///   0…2^63-1) and `digest` are required; a digest matches `algorithm:encoded` and, for the registered algorithms
///   sha256, sha384 and sha512, has exactly 64, 96 or 128 lowercase hex digits (other well-formed algorithms are
///   accepted, as upstream does); `urls` are absolute URIs; `annotations` map strings to strings; `data` is padded
///   base64 whose bytes have the descriptor's size and digest; `artifactType` is a media type; a `platform` needs
///   string `os` and `architecture`.
/// - **manifest**: `schemaVersion` 2, optional `mediaType` that names a manifest, `config` and at least one
///   `layers` entry, optional `subject` and `artifactType`. Legacy schema 1 (`schemaVersion` 1) needs `name`,
///   `tag`, `fsLayers[].blobSum` and as many `history[].v1Compatibility` strings.
/// - **index**: `schemaVersion` 2, optional `mediaType` that names an index, `manifests` (may be empty), optional
///   `subject` and `artifactType`.
/// - **config**: string `architecture` and `os`, `rootfs` with `type` `layers` and `diff_ids` digests; typed
///   optional fields (`created` is RFC 3339; `config.Env` entries are `NAME=value`; `ExposedPorts` and `Volumes`
///   are objects).
/// - **layout**: `imageLayoutVersion` is `1.0.0`.
///
/// Beyond the schemas, the JSON itself must be strict RFC 8259 UTF-8 without duplicate keys, and documents over
/// ``ManifestDocument/maximumSize`` are refused unread. Unknown fields are accepted everywhere, as the spec requires.
public enum ManifestValidator {
    /// Validates a document.
    ///
    /// - Parameters:
    ///   - bytes: The document's exact bytes.
    ///   - kind: What the document must be; when `nil`, its own `mediaType` decides, or else its shape.
    /// - Returns: The kind the document was validated as.
    /// - Throws: ``ManifestError`` describing the first problem and where it is.
    @discardableResult
    public static func validate(_ bytes: [UInt8], as kind: DocumentKind? = nil) throws(ManifestError) -> DocumentKind {
        try checkSize(bytes.count)
        let root = try JSONParser.parse(bytes)
        let resolved = try resolveKind(of: root, requested: kind)
        try validate(root, as: resolved)
        return resolved
    }

    /// Validates a document and reports the outcome with its digest, never throwing (for tools that list
    /// results, such as `dockyard manifest validate`).
    ///
    /// - Parameters:
    ///   - bytes: The document's exact bytes.
    ///   - kind: What the document must be; when `nil`, its own `mediaType` decides, or else its shape.
    /// - Returns: The report.
    public static func report(for bytes: [UInt8], as kind: DocumentKind? = nil) -> ValidationReport {
        let digest = ContentDigest.sha256(of: bytes)
        do throws(ManifestError) {
            try checkSize(bytes.count)
        } catch {
            return ValidationReport(kind: kind, mediaType: nil, digest: digest, error: error)
        }
        let root: JSONNode
        do throws(ManifestError) {
            root = try JSONParser.parse(bytes)
        } catch {
            return ValidationReport(kind: kind, mediaType: nil, digest: digest, error: error)
        }
        let declared = root["mediaType"]?.stringValue.map(MediaType.init(rawValue:))
        let resolved: DocumentKind
        do throws(ManifestError) {
            resolved = try resolveKind(of: root, requested: kind)
        } catch {
            return ValidationReport(kind: kind, mediaType: declared, digest: digest, error: error)
        }
        do throws(ManifestError) {
            try validate(root, as: resolved)
            return ValidationReport(kind: resolved, mediaType: declared, digest: digest, error: nil)
        } catch {
            return ValidationReport(kind: resolved, mediaType: declared, digest: digest, error: error)
        }
    }

    static func checkSize(_ count: Int) throws(ManifestError) {
        if count > ManifestDocument.maximumSize {
            throw ManifestError(
                .documentTooLarge,
                "the document is \(count) bytes, more than the 4 MiB (\(ManifestDocument.maximumSize) bytes) a manifest may have; it was not read"
            )
        }
    }

    static func resolveKind(of root: JSONNode, requested: DocumentKind?) throws(ManifestError) -> DocumentKind {
        guard case .object = root else {
            throw ManifestError(.wrongType, "the document must be a JSON object, found \(root.typeName)")
        }
        if let requested { return requested }
        guard let kind = DocumentKind.infer(from: root) else {
            throw ManifestError(
                .unknownDocumentKind,
                "cannot tell what kind of document this is: it has no known mediaType and neither manifest, index, config, descriptor nor oci-layout fields; pass the kind explicitly"
            )
        }
        return kind
    }

    static func validate(_ root: JSONNode, as kind: DocumentKind) throws(ManifestError) {
        let object = try Rules.object(root, at: "", what: "the document")
        switch kind {
        case .manifest: try Rules.manifest(object)
        case .index: try Rules.index(object)
        case .config: try Rules.configuration(object)
        case .descriptor: try Rules.descriptor(object, at: "")
        case .layout: try Rules.layoutHeader(object)
        }
    }
}

/// The outcome of ``ManifestValidator/report(for:as:)``.
public struct ValidationReport: Hashable, Sendable {
    /// The kind the document was validated as; `nil` when it could not be told.
    public var kind: DocumentKind?
    /// The document's own top-level `mediaType` field, when it has one.
    public var mediaType: MediaType?
    /// The sha256 digest of the document's exact bytes.
    public var digest: ContentDigest
    /// The first problem found; `nil` when the document is valid.
    public var error: ManifestError?

    /// Whether the document is valid.
    public var isValid: Bool { error == nil }
}

/// A JSON object being validated: its members and its path.
struct CheckedObject {
    let members: [(key: String, value: JSONNode)]
    let path: String

    subscript(key: String) -> JSONNode? { members.first { $0.key == key }?.value }

    func pathOf(_ key: String) -> String { JSONPath.member(path, key) }
}

/// The individual rules. Each throws the first violation with its path.
enum Rules {
    // MARK: Types

    static func object(_ node: JSONNode, at path: String, what: String) throws(ManifestError) -> CheckedObject {
        guard case .object(let members) = node else {
            throw ManifestError(.wrongType, at: path, "\(what) must be an object, found \(node.typeName)")
        }
        return CheckedObject(members: members, path: path)
    }

    static func require(_ object: CheckedObject, _ key: String) throws(ManifestError) -> JSONNode {
        guard let value = object[key] else {
            throw ManifestError(.missingField, at: object.pathOf(key), "required field \"\(key)\" is missing")
        }
        return value
    }

    static func string(_ node: JSONNode, at path: String) throws(ManifestError) -> String {
        guard case .string(let value) = node else {
            throw ManifestError(.wrongType, at: path, "must be a string, found \(node.typeName)")
        }
        return value
    }

    static func optionalString(_ object: CheckedObject, _ key: String) throws(ManifestError) {
        if let node = object[key] { _ = try string(node, at: object.pathOf(key)) }
    }

    static func requiredString(_ object: CheckedObject, _ key: String) throws(ManifestError) -> String {
        try string(require(object, key), at: object.pathOf(key))
    }

    static func bool(_ object: CheckedObject, _ key: String) throws(ManifestError) {
        guard let node = object[key] else { return }
        guard case .bool = node else {
            throw ManifestError(.wrongType, at: object.pathOf(key), "must be true or false, found \(node.typeName)")
        }
    }

    static func array(_ node: JSONNode, at path: String) throws(ManifestError) -> [JSONNode] {
        guard case .array(let elements) = node else {
            throw ManifestError(.wrongType, at: path, "must be an array, found \(node.typeName)")
        }
        return elements
    }

    static func stringArray(_ object: CheckedObject, _ key: String, nullable: Bool = false) throws(ManifestError) {
        guard let node = object[key] else { return }
        if nullable, case .null = node { return }
        let path = object.pathOf(key)
        for (index, element) in try array(node, at: path).enumerated() {
            _ = try string(element, at: JSONPath.element(path, index))
        }
    }

    static func stringMap(_ object: CheckedObject, _ key: String, nullable: Bool = false) throws(ManifestError) {
        guard let node = object[key] else { return }
        if nullable, case .null = node { return }
        let map = try Rules.object(node, at: object.pathOf(key), what: "\"\(key)\"")
        for (name, value) in map.members {
            guard case .string = value else {
                throw ManifestError(.wrongType, at: map.pathOf(name), "values of \"\(key)\" must be strings, found \(value.typeName)")
            }
        }
    }

    static func objectMap(_ object: CheckedObject, _ key: String, nullable: Bool) throws(ManifestError) {
        guard let node = object[key] else { return }
        if nullable, case .null = node { return }
        let map = try Rules.object(node, at: object.pathOf(key), what: "\"\(key)\"")
        for (name, value) in map.members {
            guard case .object = value else {
                throw ManifestError(.wrongType, at: map.pathOf(name), "values of \"\(key)\" must be objects ({}), found \(value.typeName)")
            }
        }
    }

    static func int64(_ node: JSONNode, at path: String) throws(ManifestError) -> Int64 {
        guard case .number(let number) = node else {
            throw ManifestError(.wrongType, at: path, "must be an integer, found \(node.typeName)")
        }
        guard number.isInteger, let value = number.int64 else {
            throw ManifestError(.wrongType, at: path, "must be an integer from -2^63 to 2^63-1, found \(number.text)")
        }
        return value
    }

    // MARK: Media types, digests, URLs

    static func mediaType(_ node: JSONNode, at path: String) throws(ManifestError) -> MediaType {
        let text = try string(node, at: path)
        let mediaType = MediaType(text)
        guard mediaType.isWellFormed else {
            throw ManifestError(
                .invalidMediaType, at: path,
                "\"\(text)\" is not a valid media type: expected type/subtype, each 1 to 127 letters, digits or !#$&^_.+- starting with a letter or digit"
            )
        }
        return mediaType
    }

    /// go-digest `Digest.Validate` plus the OCI grammar. Returns the parsed digest when Dockyard supports its algorithm.
    @discardableResult
    static func digest(_ node: JSONNode, at path: String) throws(ManifestError) -> ContentDigest? {
        let text = try string(node, at: path)
        let bytes = Array(text.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), isDigestAlgorithm(bytes[..<colon]),
            isDigestEncoded(bytes[(colon + 1)...])
        else {
            throw ManifestError(
                .invalidDigest, at: path,
                "\"\(text)\" is not a valid digest: expected algorithm:encoded, for example sha256: followed by 64 lowercase hex digits"
            )
        }
        let algorithm = String(decoding: bytes[..<colon], as: UTF8.self)
        let encoded = bytes[(colon + 1)...]
        let hexLength: Int? = switch algorithm {
        case "sha256": 64
        case "sha384": 96
        case "sha512": 128
        default: nil
        }
        guard let hexLength else { return nil }  // well formed, unregistered: accepted as upstream does
        guard encoded.count == hexLength else {
            throw ManifestError(
                .invalidDigest, at: path, "\(algorithm) digest must have \(hexLength) hex digits, found \(encoded.count)")
        }
        guard encoded.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }) else {
            throw ManifestError(.invalidDigest, at: path, "\(algorithm) digest must use lowercase hex digits (0-9, a-f)")
        }
        return try? ContentDigest(parsing: text)
    }

    /// `[a-z0-9]+([+._-][a-z0-9]+)*`
    private static func isDigestAlgorithm(_ bytes: ArraySlice<UInt8>) -> Bool {
        var expectComponent = true
        for byte in bytes {
            let isComponent = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            if isComponent {
                expectComponent = false
            } else if "+._-".utf8.contains(byte), !expectComponent {
                expectComponent = true
            } else {
                return false
            }
        }
        return !bytes.isEmpty && !expectComponent
    }

    /// `[a-zA-Z0-9=_-]+`
    private static func isDigestEncoded(_ bytes: ArraySlice<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || "=_-".utf8.contains(byte)
        }
    }

    /// An absolute URI (RFC 3986): a scheme, then only URI characters and well-formed percent escapes.
    static func isURI(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return false }
        let isLetter = { (b: UInt8) in (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) }
        let isDigit = { (b: UInt8) in b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        guard isLetter(bytes[0]), bytes[1..<colon].allSatisfy({ isLetter($0) || isDigit($0) || "+-.".utf8.contains($0) }) else {
            return false
        }
        let isHex = { (b: UInt8) in isDigit(b) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "f")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "F")) }
        var index = colon + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, isHex(bytes[index + 1]), isHex(bytes[index + 2]) else { return false }
                index += 3
                continue
            }
            guard isLetter(byte) || isDigit(byte) || "-._~:/?#[]@!$&'()*+,;=".utf8.contains(byte) else { return false }
            index += 1
        }
        return true
    }

    // MARK: Descriptors and platforms

    static func descriptor(_ node: JSONNode, at path: String, what: String = "a descriptor") throws(ManifestError) {
        let object = try Rules.object(node, at: path, what: what)
        try descriptor(object, at: path)
    }

    static func descriptor(_ object: CheckedObject, at path: String) throws(ManifestError) {
        _ = try mediaType(require(object, "mediaType"), at: object.pathOf("mediaType"))
        let sizePath = object.pathOf("size")
        let sizeNode = try require(object, "size")
        guard case .number(let number) = sizeNode, number.isInteger, let size = number.int64 else {
            let found = if case .number(let number) = sizeNode { number.text } else { sizeNode.typeName }
            throw ManifestError(.invalidSize, at: sizePath, "must be an integer from 0 to 2^63-1, found \(found)")
        }
        guard size >= 0 else {
            throw ManifestError(.invalidSize, at: sizePath, "must not be negative, found \(size)")
        }
        let digest = try digest(require(object, "digest"), at: object.pathOf("digest"))
        if let urls = object["urls"] {
            let urlsPath = object.pathOf("urls")
            for (index, element) in try array(urls, at: urlsPath).enumerated() {
                let elementPath = JSONPath.element(urlsPath, index)
                let url = try string(element, at: elementPath)
                guard isURI(url) else {
                    throw ManifestError(.invalidURL, at: elementPath, "\"\(url)\" is not a valid absolute URI (scheme:…)")
                }
            }
        }
        try stringMap(object, "annotations")
        if let artifactType = object["artifactType"] {
            _ = try mediaType(artifactType, at: object.pathOf("artifactType"))
        }
        if let data = object["data"] {
            let dataPath = object.pathOf("data")
            guard let bytes = Base64.decode(try string(data, at: dataPath)) else {
                throw ManifestError(.invalidBase64, at: dataPath, "data must be standard base64 with padding (RFC 4648)")
            }
            guard Int64(bytes.count) == size else {
                throw ManifestError(.dataMismatch, at: dataPath, "data holds \(bytes.count) bytes but the descriptor's size is \(size)")
            }
            if let digest, !digest.matches(bytes) {
                throw ManifestError(
                    .dataMismatch, at: dataPath,
                    "data hashes to \(ContentDigest.compute(digest.algorithm, of: bytes)) but the descriptor's digest is \(digest)")
            }
        }
        if let platform = object["platform"] {
            try self.platform(platform, at: object.pathOf("platform"))
        }
    }

    static func platform(_ node: JSONNode, at path: String) throws(ManifestError) {
        let object = try Rules.object(node, at: path, what: "platform")
        _ = try requiredString(object, "architecture")
        _ = try requiredString(object, "os")
        try optionalString(object, "os.version")
        try stringArray(object, "os.features")
        try optionalString(object, "variant")
        try stringArray(object, "features")
    }

    // MARK: Documents

    static func schemaVersion(_ object: CheckedObject, expected: Int64) throws(ManifestError) {
        let path = object.pathOf("schemaVersion")
        let version = try int64(require(object, "schemaVersion"), at: path)
        guard version == expected else {
            throw ManifestError(.unsupportedSchemaVersion, at: path, "schemaVersion must be \(expected), found \(version)")
        }
    }

    static func declaredMediaType(_ object: CheckedObject, kind: DocumentKind) throws(ManifestError) {
        guard let node = object["mediaType"] else { return }
        let path = object.pathOf("mediaType")
        let declared = try mediaType(node, at: path)
        guard kind.acceptedMediaTypes.contains(declared) else {
            let names = kind.acceptedMediaTypes.map(\.rawValue).joined(separator: " or ")
            throw ManifestError(.mediaTypeMismatch, at: path, "a\(kind == .index ? "n" : "") \(kind) must declare \(names), found \"\(declared)\"")
        }
    }

    static func manifest(_ object: CheckedObject) throws(ManifestError) {
        if object["schemaVersion"]?.isInteger(1) == true { return try schema1(object) }
        try schemaVersion(object, expected: 2)
        try declaredMediaType(object, kind: .manifest)
        if let declared = object["mediaType"]?.stringValue, MediaType(declared).isSchema1 {
            throw ManifestError(.mediaTypeMismatch, at: object.pathOf("mediaType"), "a schema 1 media type needs schemaVersion 1")
        }
        if let artifactType = object["artifactType"] { _ = try mediaType(artifactType, at: object.pathOf("artifactType")) }
        try descriptor(require(object, "config"), at: object.pathOf("config"), what: "config")
        let layersPath = object.pathOf("layers")
        let layers = try array(require(object, "layers"), at: layersPath)
        guard !layers.isEmpty else {
            throw ManifestError(.invalidValue, at: layersPath, "layers must have at least one entry")
        }
        for (index, layer) in layers.enumerated() {
            try descriptor(layer, at: JSONPath.element(layersPath, index))
        }
        if let subject = object["subject"] { try descriptor(subject, at: object.pathOf("subject"), what: "subject") }
        try stringMap(object, "annotations")
    }

    static func index(_ object: CheckedObject) throws(ManifestError) {
        try schemaVersion(object, expected: 2)
        try declaredMediaType(object, kind: .index)
        if let artifactType = object["artifactType"] { _ = try mediaType(artifactType, at: object.pathOf("artifactType")) }
        let manifestsPath = object.pathOf("manifests")
        for (index, entry) in try array(require(object, "manifests"), at: manifestsPath).enumerated() {
            try descriptor(entry, at: JSONPath.element(manifestsPath, index))
        }
        if let subject = object["subject"] { try descriptor(subject, at: object.pathOf("subject"), what: "subject") }
        try stringMap(object, "annotations")
    }

    static func schema1(_ object: CheckedObject) throws(ManifestError) {
        try schemaVersion(object, expected: 1)
        if let node = object["mediaType"] {
            let declared = try mediaType(node, at: object.pathOf("mediaType"))
            guard declared.isSchema1 else {
                throw ManifestError(.mediaTypeMismatch, at: object.pathOf("mediaType"), "schemaVersion 1 needs a schema 1 media type, found \"\(declared)\"")
            }
        }
        _ = try requiredString(object, "name")
        _ = try requiredString(object, "tag")
        try optionalString(object, "architecture")
        let layersPath = object.pathOf("fsLayers")
        let layers = try array(require(object, "fsLayers"), at: layersPath)
        for (index, layer) in layers.enumerated() {
            let entry = try Rules.object(layer, at: JSONPath.element(layersPath, index), what: "an fsLayers entry")
            guard try digest(require(entry, "blobSum"), at: entry.pathOf("blobSum")) != nil else {
                throw ManifestError(.unsupportedDigest, at: entry.pathOf("blobSum"), "blobSum must use sha256 or sha512")
            }
        }
        let historyPath = object.pathOf("history")
        let history = try array(require(object, "history"), at: historyPath)
        for (index, item) in history.enumerated() {
            let entry = try Rules.object(item, at: JSONPath.element(historyPath, index), what: "a history entry")
            _ = try requiredString(entry, "v1Compatibility")
        }
        guard history.count == layers.count else {
            throw ManifestError(.invalidValue, at: historyPath, "a schema 1 manifest needs one history entry per fsLayers entry: \(history.count) vs \(layers.count)")
        }
        if let signatures = object["signatures"] {
            let path = object.pathOf("signatures")
            for (index, item) in try array(signatures, at: path).enumerated() {
                let entry = try Rules.object(item, at: JSONPath.element(path, index), what: "a signature")
                _ = try requiredString(entry, "protected")
                _ = try requiredString(entry, "signature")
            }
        }
    }

    static func configuration(_ object: CheckedObject) throws(ManifestError) {
        if let created = object["created"] { try timestamp(created, at: object.pathOf("created")) }
        try optionalString(object, "author")
        _ = try requiredString(object, "architecture")
        _ = try requiredString(object, "os")
        try optionalString(object, "variant")
        try optionalString(object, "os.version")
        try stringArray(object, "os.features")
        if let node = object["config"] {
            let config = try Rules.object(node, at: object.pathOf("config"), what: "config")
            try optionalString(config, "User")
            try objectMap(config, "ExposedPorts", nullable: false)
            if let env = config["Env"] {
                let path = config.pathOf("Env")
                for (index, element) in try array(env, at: path).enumerated() {
                    let entryPath = JSONPath.element(path, index)
                    let entry = try string(element, at: entryPath)
                    guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                        throw ManifestError(.invalidValue, at: entryPath, "environment entry \"\(entry)\" must be NAME=value")
                    }
                }
            }
            try stringArray(config, "Entrypoint", nullable: true)
            try stringArray(config, "Cmd", nullable: true)
            try objectMap(config, "Volumes", nullable: true)
            try optionalString(config, "WorkingDir")
            try stringMap(config, "Labels", nullable: true)
            try optionalString(config, "StopSignal")
            try bool(config, "ArgsEscaped")
        }
        let rootfs = try Rules.object(require(object, "rootfs"), at: object.pathOf("rootfs"), what: "rootfs")
        let type = try requiredString(rootfs, "type")
        guard type == "layers" else {
            throw ManifestError(.invalidValue, at: rootfs.pathOf("type"), "rootfs.type must be \"layers\", found \"\(type)\"")
        }
        let diffIDsPath = rootfs.pathOf("diff_ids")
        for (index, element) in try array(require(rootfs, "diff_ids"), at: diffIDsPath).enumerated() {
            try digest(element, at: JSONPath.element(diffIDsPath, index))
        }
        if let history = object["history"] {
            let path = object.pathOf("history")
            for (index, item) in try array(history, at: path).enumerated() {
                let entry = try Rules.object(item, at: JSONPath.element(path, index), what: "a history entry")
                if let created = entry["created"] { try timestamp(created, at: entry.pathOf("created")) }
                try optionalString(entry, "author")
                try optionalString(entry, "created_by")
                try optionalString(entry, "comment")
                try bool(entry, "empty_layer")
            }
        }
    }

    static func layoutHeader(_ object: CheckedObject) throws(ManifestError) {
        let version = try requiredString(object, "imageLayoutVersion")
        guard version == "1.0.0" else {
            throw ManifestError(.invalidValue, at: object.pathOf("imageLayoutVersion"), "imageLayoutVersion must be \"1.0.0\", found \"\(version)\"")
        }
    }

    /// RFC 3339 `date-time`, as Go's `time.Parse(time.RFC3339, …)` accepts it.
    static func timestamp(_ node: JSONNode, at path: String) throws(ManifestError) {
        let text = try string(node, at: path)
        guard isRFC3339(text) else {
            throw ManifestError(.invalidValue, at: path, "\"\(text)\" is not an RFC 3339 timestamp such as 2024-01-31T12:00:00Z")
        }
    }

    static func isRFC3339(_ text: String) -> Bool {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= b.count else { return nil }
            var value = 0
            for i in range {
                guard b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(b[i] - UInt8(ascii: "0"))
            }
            return value
        }
        guard b.count >= 20, let year = number(0..<4), b[4] == UInt8(ascii: "-"), let month = number(5..<7),
            b[7] == UInt8(ascii: "-"), let day = number(8..<10), b[10] == UInt8(ascii: "T"), let hour = number(11..<13),
            b[13] == UInt8(ascii: ":"), let minute = number(14..<16), b[16] == UInt8(ascii: ":"), let second = number(17..<19)
        else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), day >= 1, day <= days[month - 1], hour < 24, minute < 60, second < 60 else { return false }
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
            guard i > start else { return false }
        }
        guard i < b.count else { return false }
        if b[i] == UInt8(ascii: "Z") { return i + 1 == b.count }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), i + 6 == b.count, let offsetHour = number((i + 1)..<(i + 3)),
            b[i + 3] == UInt8(ascii: ":"), let offsetMinute = number((i + 4)..<(i + 6))
        else { return false }
        return offsetHour < 24 && offsetMinute < 60
    }
}
