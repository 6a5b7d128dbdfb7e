import DockyardReferences
import Foundation
import NIOCore
import NIOHTTP1

enum ManifestMediaType {
    static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    static let ociIndex = "application/vnd.oci.image.index.v1+json"
    static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    static let dockerList = "application/vnd.docker.distribution.manifest.list.v2+json"
    static let dockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json"
    static let dockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"

    static let known: Set<String> = [ociManifest, ociIndex, dockerManifest, dockerList, dockerSchema1, dockerSchema1Signed]
    static let images: Set<String> = [ociManifest, dockerManifest]
    static let indexes: Set<String> = [ociIndex, dockerList]
}

/// A descriptor field of a manifest, checked.
/// A value or the response that refuses the request.
enum Outcome<Value> {
    case success(Value)
    case failure(Response)
}

/// The fields of a manifest or index the registry checks; everything else is stored as sent.
private struct WireManifest: Decodable {
    var schemaVersion: Int?
    var mediaType: String?
    var artifactType: String?
    var config: WireDescriptor?
    var layers: [WireDescriptor]?
    var manifests: [WireDescriptor]?
    var subject: WireDescriptor?
    var annotations: [String: String]?
}

private struct WireDescriptor: Decodable {
    var mediaType: String?
    var digest: String?
    var size: Int64?
    var urls: [String]?
}

private struct CheckedDescriptor {
    var mediaType: String
    var digest: String
    var size: Int64
    var external: Bool
}

extension RegistryRouter {
    // MARK: Manifests (spec.md "Pulling manifests", "Pushing manifests", "Deleting manifests")

    /// A reference is a digest when it has a `:`, else a tag.
    private enum Reference {
        case tag(String)
        case digest(ContentDigest)
        case invalidDigest
        case invalidTag
    }

    private func parseReference(_ text: String) -> Reference {
        if text.contains(":") {
            guard let digest = RegistryNames.digest(text) else { return .invalidDigest }
            return .digest(digest)
        }
        return RegistryNames.isValidTag(text) ? .tag(text) : .invalidTag
    }

    func getManifest(_ request: Request, _ name: String, _ referenceText: String) async throws -> Response {
        let key: String
        switch parseReference(referenceText) {
        case .invalidDigest: return .error(.badRequest, .digestInvalid, "invalid digest \(referenceText)")
        case .invalidTag: return .error(.badRequest, .manifestInvalid, "invalid tag \(referenceText)")
        case .tag(let tag): key = tag
        case .digest(let digest): key = digest.description
        }
        guard let (digest, record) = await store.manifest(name, reference: key) else {
            return .error(.notFound, .manifestUnknown, "manifest unknown to registry", detail: ["reference": referenceText])
        }
        let headers: HTTPHeaders = [
            "Content-Type": record.mediaType,
            "Docker-Content-Digest": digest,
            "ETag": "\"\(digest)\"",
        ]
        if request.method == "HEAD" {
            var response = Response(.ok, headers: headers)
            response.headers.add(name: "Content-Length", value: String(record.size))
            return response
        }
        var bytes = ByteBuffer()
        try await store.storage.read(digest, range: 0..<record.size) { chunk in
            var chunk = chunk
            bytes.writeBuffer(&chunk)
        }
        return Response(.ok, headers: headers, body: .buffer(bytes))
    }

    func deleteManifest(_ name: String, _ referenceText: String) async throws -> Response {
        switch parseReference(referenceText) {
        case .invalidDigest: return .error(.badRequest, .digestInvalid, "invalid digest \(referenceText)")
        case .invalidTag: return .error(.badRequest, .manifestInvalid, "invalid tag \(referenceText)")
        case .tag(let tag):
            guard try await store.deleteTag(name, tag) else {
                return .error(.notFound, .manifestUnknown, "tag unknown to registry", detail: ["tag": tag])
            }
        case .digest(let digest):
            guard try await store.deleteManifest(name, digest.description) else {
                return .error(.notFound, .manifestUnknown, "manifest unknown to registry", detail: ["digest": digest.description])
            }
        }
        return Response(.accepted)
    }

    func putManifest(_ request: Request, _ name: String, _ referenceText: String, body: RequestBody) async throws -> Response {
        let reference = parseReference(referenceText)
        switch reference {
        case .invalidDigest: return .error(.badRequest, .digestInvalid, "invalid digest \(referenceText)")
        case .invalidTag: return .error(.badRequest, .manifestInvalid, "invalid tag \(referenceText)")
        case .tag, .digest: break
        }
        var tags: [String] = []
        if case .tag(let tag) = reference { tags.append(tag) }
        for tag in request.queryValues("tag") {
            guard RegistryNames.isValidTag(tag) else { return .error(.badRequest, .manifestInvalid, "invalid tag \(tag)") }
            tags.append(tag)
        }
        let limit = configuration.limits.manifestBytes
        guard let bytes = try await body.collect(limit: limit) else {
            var response = Response.error(.payloadTooLarge, .sizeInvalid, "manifests are limited to \(limit) bytes")
            response.close = true
            return response
        }
        let algorithm: ContentDigest.Algorithm
        if case .digest(let expected) = reference { algorithm = expected.algorithm } else { algorithm = .sha256 }
        let digest = StreamHasher.digest(of: bytes, algorithm)
        if case .digest(let expected) = reference, expected.description != digest {
            return .error(.badRequest, .digestInvalid, "the manifest's digest is \(digest), not \(expected)", detail: ["digest": expected.description])
        }
        let checked = await checkManifest(bytes, contentType: request.header("Content-Type"), repository: name)
        let record: ManifestRecord
        switch checked {
        case .failure(let response): return response
        case .success(let value): record = value
        }
        try await store.putManifest(name, digest: digest, record: record, bytes: bytes, tags: tags)
        var headers: HTTPHeaders = ["Location": "/v2/\(name)/manifests/\(digest)", "Docker-Content-Digest": digest]
        if let subject = record.subject { headers.add(name: "OCI-Subject", value: subject) }
        if case .digest = reference, !tags.isEmpty { headers.add(name: "OCI-Tag", value: tags.joined(separator: ", ")) }
        return Response(.created, headers: headers)
    }

    private enum Checked {
        case success(ManifestRecord)
        case failure(Response)
    }

    /// Validates a manifest (image-spec `manifest.md`, `image-index.md`; Docker image manifest v2.2) and checks
    /// that what it references was pushed to the repository.
    private func checkManifest(_ bytes: ByteBuffer, contentType: String?, repository name: String) async -> Checked {
        func invalid(_ message: String) -> Checked { .failure(.error(.badRequest, .manifestInvalid, message)) }
        let wire: WireManifest
        do {
            wire = try JSONDecoder().decode(WireManifest.self, from: Data(bytes.readableBytesView))
        } catch {
            return invalid("the manifest is not valid JSON of a manifest or index: \(error)")
        }
        let declared = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let mediaType: String
        if let bodyType = wire.mediaType {
            if let declared, ManifestMediaType.known.contains(declared), declared != bodyType {
                return invalid("the body's mediaType \(bodyType) differs from Content-Type \(declared)")
            }
            mediaType = bodyType
        } else if let declared, ManifestMediaType.known.contains(declared) {
            mediaType = declared
        } else if wire.manifests != nil {
            mediaType = ManifestMediaType.ociIndex
        } else if wire.config != nil {
            mediaType = ManifestMediaType.ociManifest
        } else if let declared, !declared.isEmpty {
            mediaType = declared
        } else {
            return invalid("the manifest's media type is unknown: send Content-Type")
        }
        if mediaType == ManifestMediaType.dockerSchema1 || mediaType == ManifestMediaType.dockerSchema1Signed {
            return .success(ManifestRecord(mediaType: mediaType, size: Int64(bytes.readableBytes)))
        }
        guard wire.schemaVersion == 2 else { return invalid("schemaVersion must be 2") }
        func descriptor(_ value: WireDescriptor?, _ field: String) -> Outcome<CheckedDescriptor> {
            guard let value else {
                return .failure(.error(.badRequest, .manifestInvalid, "\(field) is missing"))
            }
            guard let type = value.mediaType, !type.isEmpty else {
                return .failure(.error(.badRequest, .manifestInvalid, "\(field) has no mediaType"))
            }
            guard let digestText = value.digest, let digest = RegistryNames.digest(digestText) else {
                return .failure(.error(.badRequest, .manifestInvalid, "\(field) has no valid digest"))
            }
            guard let size = value.size, size >= 0 else {
                return .failure(.error(.badRequest, .manifestInvalid, "\(field) has no valid size"))
            }
            let external = !(value.urls ?? []).isEmpty || type.contains("nondistributable")
                || type == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
            return .success(CheckedDescriptor(mediaType: type, digest: digest.description, size: size, external: external))
        }
        var subject: String?
        if wire.subject != nil {
            switch descriptor(wire.subject, "subject") {
            case .failure(let response): return .failure(response)
            case .success(let value): subject = value.digest
            }
        }
        var artifactType = wire.artifactType
        if ManifestMediaType.images.contains(mediaType) || wire.config != nil {
            var blobs: [CheckedDescriptor] = []
            switch descriptor(wire.config, "config") {
            case .failure(let response): return .failure(response)
            case .success(let config):
                blobs.append(config)
                if artifactType == nil, mediaType == ManifestMediaType.ociManifest { artifactType = config.mediaType }
            }
            guard let layers = wire.layers else { return invalid("layers is missing") }
            for (index, layer) in layers.enumerated() {
                switch descriptor(layer, "layers[\(index)]") {
                case .failure(let response): return .failure(response)
                case .success(let value): blobs.append(value)
                }
            }
            for blob in blobs where !blob.external && !configuration.allowsSparseManifests {
                guard let size = await store.blobSize(name, blob.digest) else {
                    return .failure(.error(.badRequest, .manifestBlobUnknown, "blob \(blob.digest) was not pushed to \(name)", detail: ["digest": blob.digest]))
                }
                guard size == blob.size else {
                    return invalid("blob \(blob.digest) has \(size) bytes, the manifest says \(blob.size)")
                }
            }
        } else if ManifestMediaType.indexes.contains(mediaType) || wire.manifests != nil {
            guard let manifests = wire.manifests else { return invalid("manifests is missing") }
            for (index, entry) in manifests.enumerated() {
                switch descriptor(entry, "manifests[\(index)]") {
                case .failure(let response): return .failure(response)
                case .success(let value):
                    let known = configuration.allowsSparseManifests
                        ? true : (await store.manifest(name, reference: value.digest)) != nil
                    guard known else {
                        return .failure(.error(.badRequest, .manifestBlobUnknown, "manifest \(value.digest) was not pushed to \(name)", detail: ["digest": value.digest]))
                    }
                }
            }
        } else {
            return invalid("unsupported manifest media type \(mediaType)")
        }
        return .success(ManifestRecord(
            mediaType: mediaType, size: Int64(bytes.readableBytes), subject: subject, artifactType: artifactType,
            annotations: wire.annotations
        ))
    }

    // MARK: Listing (spec.md "Content discovery")

    private func page(_ items: [String], _ request: Request, path: String) -> Outcome<(items: [String], link: String?)> {
        var items = items
        if let last = request.queryValue("last"), !last.isEmpty {
            items = items.filter { $0 > last }
        }
        var limit = configuration.limits.pageSize
        if let text = request.queryValue("n") {
            guard let n = Int(text), n >= 0 else {
                return .failure(.error(.badRequest, .paginationNumberInvalid, "n must be a non-negative integer"))
            }
            limit = min(n, limit)
        }
        guard items.count > limit else { return .success((items, nil)) }
        let pageItems = Array(items.prefix(limit))
        guard let lastItem = pageItems.last else { return .success((pageItems, nil)) }
        let escaped = lastItem.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "=", "+"])) ?? lastItem
        return .success((pageItems, "<\(path)?n=\(limit)&last=\(escaped)>; rel=\"next\""))
    }

    private struct TagList: Encodable {
        var name: String
        var tags: [String]
    }

    private struct Catalog: Encodable {
        var repositories: [String]
    }

    func tags(_ request: Request, _ name: String) async -> Response {
        guard let all = await store.tags(in: name) else {
            return .error(.notFound, .nameUnknown, "repository name not known to registry", detail: ["name": name])
        }
        switch page(all, request, path: "/v2/\(name)/tags/list") {
        case .failure(let response):
            return response
        case .success(let (items, link)):
            var response = Response.json(TagList(name: name, tags: items))
            if let link { response.headers.add(name: "Link", value: link) }
            return response
        }
    }

    func catalog(_ request: Request) async -> Response {
        switch page(await store.catalog(), request, path: "/v2/_catalog") {
        case .failure(let response):
            return response
        case .success(let (items, link)):
            var response = Response.json(Catalog(repositories: items))
            if let link { response.headers.add(name: "Link", value: link) }
            return response
        }
    }

    // MARK: Referrers (spec.md "Listing Referrers")

    private struct ReferrerDescriptor: Encodable {
        var mediaType: String
        var digest: String
        var size: Int64
        var artifactType: String?
        var annotations: [String: String]?
    }

    private struct ReferrersIndex: Encodable {
        var schemaVersion = 2
        var mediaType = ManifestMediaType.ociIndex
        var manifests: [ReferrerDescriptor]
    }

    func referrers(_ request: Request, _ name: String, _ digestText: String) async -> Response {
        guard let digest = RegistryNames.digest(digestText) else {
            return .error(.badRequest, .digestInvalid, "invalid digest \(digestText)")
        }
        var entries = await store.referrers(name, of: digest.description).map { entry in
            ReferrerDescriptor(
                mediaType: entry.record.mediaType, digest: entry.digest, size: entry.record.size,
                artifactType: entry.record.artifactType, annotations: entry.record.annotations
            )
        }
        let filter = request.queryValue("artifactType").flatMap { $0.isEmpty ? nil : $0 }
        if let filter { entries = entries.filter { $0.artifactType == filter } }
        var response = Response.json(ReferrersIndex(manifests: entries), contentType: ManifestMediaType.ociIndex)
        if filter != nil { response.headers.add(name: "OCI-Filters-Applied", value: "artifactType") }
        return response
    }
}
