import DockyardManifests
import DockyardReferences
import Foundation

/// Where an image is or goes: a registry reference, an OCI image layout directory, or nothing (`scratch`).
///
/// The text forms are those of skopeo and crane: `registry/repository:tag` (or `@digest`), `oci:DIR[:NAME]`
/// for an OCI layout (`NAME` is the `org.opencontainers.image.ref.name` of an `index.json` entry), and
/// `scratch` for an empty base image.
///
/// ```swift
/// let base = try ImageLocation(parsing: "alpine:3.20")
/// let target = try ImageLocation(parsing: "oci:/tmp/out:v1")
/// ```
public enum ImageLocation: Sendable, Hashable, CustomStringConvertible {
    /// An image in a registry.
    case registry(ImageReference)
    /// An image in an OCI layout directory: the entry named `name`, or the only entry.
    case layout(URL, name: String?)
    /// No image: an empty base without layers, for images built from files only.
    case scratch

    /// Parses `oci:DIR[:NAME]`, `scratch`, or an image reference (normalized the way Docker does).
    ///
    /// - Parameter text: The location.
    /// - Throws: `ReferenceError` when the text is neither a layout nor a valid reference.
    public init(parsing text: String) throws {
        if text == "scratch" {
            self = .scratch
        } else if text.hasPrefix("oci:") {
            let rest = String(text.dropFirst(4))
            if let colon = rest.lastIndex(of: ":"), !rest[rest.index(after: colon)...].contains("/"),
                rest.index(after: colon) != rest.endIndex
            {
                self = .layout(URL(fileURLWithPath: String(rest[..<colon]), isDirectory: true), name: String(rest[rest.index(after: colon)...]))
            } else {
                self = .layout(URL(fileURLWithPath: rest.hasSuffix(":") ? String(rest.dropLast()) : rest, isDirectory: true), name: nil)
            }
        } else {
            self = .registry(try ImageReference(normalizing: text))
        }
    }

    /// The text form: the reference, `oci:DIR[:NAME]`, or `scratch`.
    public var description: String {
        switch self {
        case .registry(let reference): reference.description
        case .layout(let url, let name): "oci:\(url.path)" + (name.map { ":\($0)" } ?? "")
        case .scratch: "scratch"
        }
    }
}

/// What an image operation (append, mutate, index) produced.
public struct ImageBuildResult: Sendable, Hashable {
    /// Where the image went.
    public var target: ImageLocation
    /// The top-level document written: the index (several platforms) or the manifest.
    public var descriptor: Descriptor
    /// The platform manifests written, in index order.
    public var manifests: [Descriptor]
    /// The configurations written, one per manifest.
    public var configs: [Descriptor]
    /// Blob counts: uploaded (or copied), already present, mounted.
    public var totals: TransferTotals

    /// Creates a result.
    ///
    /// - Parameters:
    ///   - target: Where the image went.
    ///   - descriptor: The top-level document.
    ///   - manifests: The platform manifests.
    ///   - configs: The configurations.
    ///   - totals: Blob counts.
    public init(target: ImageLocation, descriptor: Descriptor, manifests: [Descriptor], configs: [Descriptor], totals: TransferTotals) {
        self.target = target
        self.descriptor = descriptor
        self.manifests = manifests
        self.configs = configs
        self.totals = totals
    }
}
