/// What a JSON document is, for validation: a manifest, an index, an image configuration, a single descriptor,
/// or an OCI image layout's `oci-layout` file.
public enum DocumentKind: String, Hashable, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// An image manifest: OCI, Docker schema 2, or legacy Docker schema 1.
    case manifest
    /// An image index: OCI index or Docker manifest list.
    case index
    /// An image configuration: OCI or Docker.
    case config
    /// A single content descriptor.
    case descriptor
    /// The `oci-layout` file of an OCI image layout (`{"imageLayoutVersion": "1.0.0"}`). An image layout's
    /// `index.json` is an ``index``.
    case layout

    /// The kind's name, as `dockyard manifest validate --kind` takes it.
    public var description: String { rawValue }

    /// The kind a media type names, or `nil` for media types that are not documents (layers, unknown types).
    ///
    /// - Parameter mediaType: A media type.
    public init?(mediaType: MediaType) {
        switch mediaType {
        case .ociManifest, .dockerManifest, .dockerSchema1, .dockerSchema1Signed: self = .manifest
        case .ociIndex, .dockerManifestList: self = .index
        case .ociConfig, .dockerConfig: self = .config
        case .ociDescriptor: self = .descriptor
        case .ociLayoutHeader: self = .layout
        default: return nil
        }
    }

    /// The media types a document of this kind may declare in its own `mediaType` field.
    var acceptedMediaTypes: [MediaType] {
        switch self {
        case .manifest: [.ociManifest, .dockerManifest, .dockerSchema1, .dockerSchema1Signed]
        case .index: [.ociIndex, .dockerManifestList]
        case .config: [.ociConfig, .dockerConfig]
        case .descriptor: []
        case .layout: []
        }
    }

    /// Guesses the kind from a document's top-level fields when its media type does not say.
    static func infer(from node: JSONNode) -> DocumentKind? {
        guard case .object = node else { return nil }
        if let declared = node["mediaType"]?.stringValue, node["schemaVersion"] != nil,
            let kind = DocumentKind(mediaType: MediaType(declared))
        {
            return kind
        }
        if node["manifests"] != nil { return .index }
        if node["config"] != nil && node["layers"] != nil { return .manifest }
        if node["fsLayers"] != nil || node["schemaVersion"]?.isInteger(1) == true { return .manifest }
        if node["imageLayoutVersion"] != nil { return .layout }
        if node["rootfs"] != nil || (node["architecture"] != nil && node["os"] != nil) { return .config }
        if node["digest"] != nil && (node["size"] != nil || node["mediaType"] != nil) { return .descriptor }
        if node["size"] != nil && node["mediaType"] != nil { return .descriptor }
        if node["schemaVersion"] != nil && node["layers"] != nil { return .manifest }
        return nil
    }
}

extension JSONNode {
    func isInteger(_ value: Int64) -> Bool {
        if case .number(let number) = self { return number.int64 == value }
        return false
    }
}
