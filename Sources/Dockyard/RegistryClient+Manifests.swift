import DockyardAuth
import DockyardManifests
import DockyardReferences
import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1
import Logging

extension RegistryClient {
    /// Fetches a manifest or index by tag or digest, with `Accept` negotiation.
    ///
    /// The digest is computed from the exact bytes received. When the reference names a digest, the bytes must
    /// hash to it; when the registry sends `Docker-Content-Digest`, the bytes must hash to that too. Mirrors of the
    /// registry are tried first. At most ``maxManifestBytes`` are read.
    ///
    /// See the OCI distribution specification, "Pulling manifests".
    ///
    /// - Parameters:
    ///   - reference: The image; without tag or digest, `latest` is used.
    ///   - accepting: The media types to ask for, most preferred first.
    /// - Returns: The document with its exact bytes, media type and digest.
    /// - Throws: ``RegistryError`` (`MANIFEST_UNKNOWN`, `NAME_UNKNOWN`, `DENIED`, …, or
    ///   ``RegistryError/Code/invalidResponse`` for a digest mismatch or an oversized manifest), `ManifestError`
    ///   when the bytes are not a manifest, `AuthError` or `TransportError` from the layers below.
    public func manifest(
        for reference: ImageReference,
        accepting: [MediaType] = MediaType.manifestAccept
    ) async throws -> ManifestDocument {
        let roots = try pullBaseURLs(for: reference.repository)
        var lastError: (any Error)?
        for (index, root) in roots.enumerated() {
            do {
                return try await fetchManifest(reference, root: root, accepting: accepting)
            } catch {
                // A mirror that fails hands over to the next one; the registry's own error is final.
                if index == roots.count - 1 { throw error }
                logger.debug("mirror \(root.loggableDescription) failed, trying the next: \(error)")
                lastError = error
            }
        }
        throw lastError ?? RegistryError(code: .unexpectedStatus, method: "GET", url: roots.first ?? URL(fileURLWithPath: "/"))
    }

    private func fetchManifest(
        _ reference: ImageReference,
        root: URL,
        accepting: [MediaType]
    ) async throws -> ManifestDocument {
        let request = TransportRequest(
            method: .GET,
            url: root.appendingPathComponent("manifests").appendingPathComponent(RegistryClient.manifestPathComponent(reference)),
            headers: RegistryClient.acceptHeaders(accepting)
        )
        let response = try await send(request, repository: reference.repository, actions: [.pull])
        guard response.status == .ok else {
            throw await failure(response, for: request, subject: reference.description)
        }
        let bytes = try await collectBody(
            response, for: request, subject: reference.description,
            refusal: "the manifest is larger than \(RegistryClient.maxManifestBytes) bytes; Dockyard refuses it")
        let mediaType = RegistryClient.mediaType(of: response.headers)
        // The digest is checked before the bytes are parsed: bytes that are not what was asked for are refused
        // whatever they contain.
        try RegistryClient.verify(bytes: bytes, reference: reference, headers: response.headers, request: request)
        return try ManifestDocument(bytes: bytes, mediaType: mediaType)
    }

    /// Reads a manifest's descriptor with a `HEAD` request, without downloading it.
    ///
    /// When the registry does not send `Docker-Content-Digest`, the manifest is fetched with `GET` and hashed.
    ///
    /// - Parameters:
    ///   - reference: The image; without tag or digest, `latest` is used.
    ///   - accepting: The media types to ask for.
    /// - Returns: The descriptor: media type, digest and size.
    /// - Throws: ``RegistryError`` (`MANIFEST_UNKNOWN` for a missing manifest), `AuthError`, `TransportError`.
    public func manifestDescriptor(
        for reference: ImageReference,
        accepting: [MediaType] = MediaType.manifestAccept
    ) async throws -> Descriptor {
        let (request, response) = try await headManifest(reference, accepting: accepting)
        guard response.status == .ok else {
            throw await failure(response, for: request, subject: reference.description)
        }
        await response.body.drain()
        let mediaType = RegistryClient.mediaType(of: response.headers)
        if let header = response.headers.first(name: "Docker-Content-Digest"),
           let digest = try? ContentDigest(parsing: header),
           let lengthText = response.headers.first(name: "Content-Length"), let size = Int64(lengthText),
           let mediaType
        {
            if let requested = reference.digest, requested != digest {
                throw RegistryError(
                    code: .invalidResponse, status: 200, method: "HEAD", url: request.url,
                    subject: reference.description,
                    message: "the registry reported digest \(digest) for a request by digest \(requested)")
            }
            return Descriptor(mediaType: mediaType, digest: digest, size: size)
        }
        let document = try await manifest(for: reference, accepting: accepting)
        return Descriptor(
            mediaType: document.mediaType,
            digest: document.digest,
            size: Int64(document.bytes.count))
    }

    /// Resolves a reference to the descriptor of its manifest or index.
    ///
    /// - Parameter reference: The image.
    /// - Returns: The descriptor.
    /// - Throws: As ``manifestDescriptor(for:accepting:)``.
    public func resolve(_ reference: ImageReference) async throws -> Descriptor {
        try await manifestDescriptor(for: reference)
    }

    /// Resolves a reference to the manifest of one platform.
    ///
    /// When the reference names an index (or a Docker manifest list), the entry for `platform` is chosen and that
    /// manifest fetched by digest; a single manifest is returned as it is.
    ///
    /// - Parameters:
    ///   - reference: The image.
    ///   - platform: The platform, e.g. `Platform(parsing: "linux/arm64/v8")`.
    /// - Returns: The platform's manifest.
    /// - Throws: ``RegistryError`` with code ``RegistryError/Code/platformUnknown`` when the index has no entry for
    ///   the platform, or the errors of ``manifest(for:accepting:)``.
    public func resolve(_ reference: ImageReference, platform: Platform) async throws -> ManifestDocument {
        let document = try await manifest(for: reference)
        guard case .index(let index) = document.content else { return document }
        guard let entry = index.manifest(for: platform) else {
            let available = index.manifests.compactMap { $0.platform.map { "\($0)" } }
            throw RegistryError(
                code: .platformUnknown, method: "GET", url: try baseURL(for: reference.repository),
                subject: reference.description,
                message: "\(platform) is not among \(available.isEmpty ? "its entries" : available.joined(separator: ", "))")
        }
        let child = reference.withDigest(entry.digest)
        return try await manifest(for: child)
    }

    /// Uploads a manifest or index under a tag or digest.
    ///
    /// The `Content-Type` is the document's media type. Every blob and child manifest the document refers to must
    /// already be in the repository.
    ///
    /// See the OCI distribution specification, "Pushing manifests".
    ///
    /// - Parameters:
    ///   - document: The document; its exact bytes are sent.
    ///   - reference: Where to put it: the repository and a tag, or the document's own digest.
    /// - Returns: The digest of the uploaded bytes.
    /// - Throws: ``RegistryError`` (`MANIFEST_INVALID`, `MANIFEST_BLOB_UNKNOWN`, `DENIED`, …, or
    ///   ``RegistryError/Code/invalidResponse`` when the registry reports another digest), `AuthError`,
    ///   `TransportError`.
    @discardableResult
    public func putManifest(_ document: ManifestDocument, as reference: ImageReference) async throws -> ContentDigest {
        if let digest = reference.digest, digest != document.digest {
            throw RegistryError(
                code: .digestInvalid, method: "PUT", url: try baseURL(for: reference.repository),
                subject: reference.description,
                message: "the document's digest is \(document.digest), not the \(digest) it is being pushed as")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: document.mediaType.rawValue)
        let request = TransportRequest(
            method: .PUT,
            url: try baseURL(for: reference.repository).appendingPathComponent("manifests")
                .appendingPathComponent(RegistryClient.manifestPathComponent(reference)),
            headers: headers,
            body: .bytes(document.bytes)
        )
        let response = try await send(request, repository: reference.repository, actions: [.pull, .push])
        guard (200..<300).contains(response.status.code) else {
            throw await failure(response, for: request, subject: reference.description)
        }
        await response.body.drain()
        if let header = response.headers.first(name: "Docker-Content-Digest"),
           let reported = try? ContentDigest(parsing: header), reported.algorithm == document.digest.algorithm,
           reported != document.digest
        {
            throw RegistryError(
                code: .invalidResponse, status: Int(response.status.code), method: "PUT", url: request.url,
                subject: reference.description,
                message: "the registry stored digest \(reported) but the bytes sent hash to \(document.digest)")
        }
        return document.digest
    }

    /// Deletes a manifest by digest, or by tag through resolving the tag to its digest first.
    ///
    /// Deleting by digest removes every tag pointing at it. The registry must allow deletes (distribution:
    /// `storage.delete.enabled`), and the account needs the `delete` action.
    ///
    /// - Parameter reference: The image, by digest or tag.
    /// - Returns: The digest that was deleted.
    /// - Throws: ``RegistryError`` (`MANIFEST_UNKNOWN`, `UNSUPPORTED` when deletes are disabled, `DENIED`, …),
    ///   `AuthError`, `TransportError`.
    @discardableResult
    public func deleteManifest(_ reference: ImageReference) async throws -> ContentDigest {
        let digest: ContentDigest
        if let known = reference.digest {
            digest = known
        } else {
            digest = try await manifestDescriptor(for: reference).digest
        }
        let request = TransportRequest(
            method: .DELETE,
            url: try baseURL(for: reference.repository).appendingPathComponent("manifests")
                .appendingPathComponent(digest.description)
        )
        let response = try await send(request, repository: reference.repository, actions: [.delete])
        guard (200..<300).contains(response.status.code) else {
            throw await failure(response, for: request, subject: reference.description)
        }
        await response.body.drain()
        return digest
    }

    /// Reads the current Docker Hub rate limit with a `HEAD` request for a manifest, which Docker Hub does not
    /// count as a pull.
    ///
    /// - Parameter reference: The image to ask about; Docker's documentation uses
    ///   `docker.io/ratelimitpreview/test:latest`.
    /// - Returns: The limit, or `nil` when the registry sends no rate-limit headers (registries other than
    ///   Docker Hub, or an account without limits).
    /// - Throws: ``RegistryError`` when the registry answers with an error other than a rate limit,
    ///   `AuthError`, `TransportError`.
    public func rateLimit(for reference: ImageReference) async throws -> RateLimit? {
        let (request, response) = try await headManifest(reference, accepting: MediaType.manifestAccept)
        let rateLimit = RegistryError.rateLimit(response.headers)
        guard response.status == .ok || response.status == .tooManyRequests || rateLimit != nil else {
            throw await failure(response, for: request, subject: reference.description)
        }
        await response.body.drain()
        return rateLimit
    }

    // MARK: - Helpers

    private func headManifest(
        _ reference: ImageReference,
        accepting: [MediaType]
    ) async throws -> (TransportRequest, TransportResponse) {
        let request = TransportRequest(
            method: .HEAD,
            url: try baseURL(for: reference.repository).appendingPathComponent("manifests")
                .appendingPathComponent(RegistryClient.manifestPathComponent(reference)),
            headers: RegistryClient.acceptHeaders(accepting)
        )
        let response = try await send(request, repository: reference.repository, actions: [.pull])
        return (request, response)
    }

    /// The last path component of a manifest URL: the digest if there is one, else the tag, else `latest`.
    static func manifestPathComponent(_ reference: ImageReference) -> String {
        if let digest = reference.digest { return digest.description }
        return reference.tag ?? "latest"
    }

    static func acceptHeaders(_ mediaTypes: [MediaType]) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: mediaTypes.map(\.rawValue).joined(separator: ", "))
        return headers
    }

    /// The media type of a response, from `Content-Type` without parameters.
    static func mediaType(of headers: HTTPHeaders) -> MediaType? {
        guard let value = headers.first(name: "Content-Type") else { return nil }
        let bare = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !bare.isEmpty else { return nil }
        return MediaType(rawValue: bare)
    }

    /// Checks received manifest bytes against the requested digest and `Docker-Content-Digest`.
    static func verify(
        bytes: [UInt8],
        reference: ImageReference,
        headers: HTTPHeaders,
        request: TransportRequest
    ) throws {
        func mismatch(_ expected: ContentDigest, _ actual: ContentDigest, _ source: String) -> RegistryError {
            RegistryError(
                code: .invalidResponse, status: 200, method: request.method.rawValue, url: request.url,
                subject: reference.description,
                message: "the manifest's bytes hash to \(actual), not the \(expected) \(source); refusing it")
        }
        if let requested = reference.digest {
            let actual = ContentDigest.compute(requested.algorithm, of: bytes)
            guard actual == requested else { throw mismatch(requested, actual, "that was requested") }
        }
        if let header = headers.first(name: "Docker-Content-Digest"), let reported = try? ContentDigest(parsing: header) {
            let actual = ContentDigest.compute(reported.algorithm, of: bytes)
            guard actual == reported else { throw mismatch(reported, actual, "the registry reported") }
        }
    }
}
