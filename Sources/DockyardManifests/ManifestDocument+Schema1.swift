import DockyardReferences

extension ManifestDocument {
    /// For a signed schema 1 manifest, the JWS payload: the document as it was before its `signatures` were
    /// added, rebuilt from the `formatLength` and `formatTail` of the first signature's protected header (as
    /// libtrust does). `nil` for every other document, or when the protected header cannot be read.
    ///
    /// Registries identify a signed schema 1 manifest by the digest of this payload
    /// (``schema1PayloadDigest``), not of the bytes they serve.
    public var schema1Payload: [UInt8]? {
        guard case .schema1(let manifest) = content, let protected = manifest.signatures?.first?.protected,
            let headerBytes = Base64URL.decode(protected), let header = try? JSONParser.parse(headerBytes),
            case .number(let lengthNumber)? = header["formatLength"], let length = lengthNumber.int64,
            length >= 0, length <= Int64(bytes.count),
            let tailText = header["formatTail"]?.stringValue, let tail = Base64URL.decode(tailText)
        else { return nil }
        return Array(bytes[..<Int(length)]) + tail
    }

    /// The digest a registry reports for a signed schema 1 manifest: the sha256 of ``schema1Payload``.
    /// `nil` for every other document (use ``digest``).
    public var schema1PayloadDigest: ContentDigest? {
        schema1Payload.map { ContentDigest.sha256(of: $0) }
    }
}

/// Base64url without padding (RFC 4648 §5), as JWS uses it.
enum Base64URL {
    static func decode(_ text: String) -> [UInt8]? {
        guard !text.contains(where: { "=+/".contains($0) }) else { return nil }
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        switch standard.utf8.count % 4 {
        case 2: standard += "=="
        case 3: standard += "="
        case 1: return nil
        default: break
        }
        return Base64.decode(standard)
    }
}
