import DockyardReferences
import NIOCore
import NIOHTTP1
import Foundation

extension RegistryRouter {
    // MARK: Blobs (spec.md "Pulling blobs", "Deleting blobs")

    func getBlob(_ request: Request, _ name: String, _ digestText: String) async -> Response {
        guard let digest = RegistryNames.digest(digestText) else {
            return .error(.badRequest, .digestInvalid, "invalid digest \(digestText)")
        }
        let key = digest.description
        guard let size = await store.blobSize(name, key) else {
            return .error(.notFound, .blobUnknown, "blob unknown to registry", detail: ["digest": key])
        }
        var headers: HTTPHeaders = [
            "Content-Type": "application/octet-stream",
            "Docker-Content-Digest": key,
            "Accept-Ranges": "bytes",
            "ETag": "\"\(key)\"",
        ]
        var range: Range<Int64> = 0..<size
        var status = HTTPResponseStatus.ok
        if request.method == "GET", let header = request.header("Range") {
            switch ByteRange.parse(header, size: size) {
            case .whole:
                break
            case .unsatisfiable:
                var response = Response.error(.rangeNotSatisfiable, .blobUnknown, "range \(header) not satisfiable")
                response.headers.add(name: "Content-Range", value: "bytes */\(size)")
                return response
            case .range(let r):
                range = r
                status = .partialContent
                headers.add(name: "Content-Range", value: "bytes \(r.lowerBound)-\(r.upperBound - 1)/\(size)")
            }
        }
        headers.add(name: "Content-Length", value: String(range.count))
        var response = Response(status, headers: headers)
        guard request.method == "GET", !range.isEmpty else { return response }
        let storage = store.storage
        let cut = hooks.takeCut()
        response.body = .stream { writer in
            var sent: Int64 = 0
            try await storage.read(key, range: range) { buffer in
                if let cut {
                    let allowed = cut - sent
                    if allowed < Int64(buffer.readableBytes) {
                        if allowed > 0, let slice = buffer.getSlice(at: buffer.readerIndex, length: Int(allowed)) {
                            try await writer.write(slice)
                        }
                        throw BlobCut()
                    }
                }
                sent += Int64(buffer.readableBytes)
                try await writer.write(buffer)
            }
        }
        if cut != nil { response.close = true }
        return response
    }

    func deleteBlob(_ name: String, _ digestText: String) async throws -> Response {
        guard let digest = RegistryNames.digest(digestText) else {
            return .error(.badRequest, .digestInvalid, "invalid digest \(digestText)")
        }
        guard try await store.deleteBlob(name, digest.description) else {
            return .error(.notFound, .blobUnknown, "blob unknown to registry", detail: ["digest": digest.description])
        }
        return Response(.accepted)
    }

    // MARK: Uploads (spec.md "Pushing blobs")

    private func uploadHeaders(_ name: String, _ session: UploadSession) -> HTTPHeaders {
        let size = session.data.size
        var headers: HTTPHeaders = [
            "Location": "/v2/\(name)/blobs/uploads/\(session.id)",
            "Range": "0-\(size > 0 ? size - 1 : 0)",
            "Docker-Upload-UUID": session.id,
        ]
        if let minimum = configuration.minimumChunkLength {
            headers.add(name: "OCI-Chunk-Min-Length", value: String(minimum))
        }
        return headers
    }

    private func blobCreated(_ name: String, _ digest: String) -> Response {
        Response(.created, headers: ["Location": "/v2/\(name)/blobs/\(digest)", "Docker-Content-Digest": digest])
    }

    func startUpload(_ request: Request, _ name: String, body: RequestBody) async throws -> Response {
        if let mount = request.queryValue("mount") {
            let from = request.queryValue("from")
            if let digest = RegistryNames.digest(mount), from.map(RegistryNames.isValidRepository) ?? true,
                try await store.mount(name, from: from, digest.description)
            {
                return blobCreated(name, digest.description)
            }
            // Not mountable: the spec's fallback is an ordinary upload session.
        }
        if let digestText = request.queryValue("digest") {
            guard let digest = RegistryNames.digest(digestText) else {
                return .error(.badRequest, .digestInvalid, "invalid digest \(digestText)")
            }
            let session = try await store.startUpload(name)
            guard case .session = await store.acquireUpload(session.id, in: name) else {
                return .error(.internalServerError, .unknown, "upload session vanished")
            }
            return try await receiveAndFinish(session, name, digest, request: request, body: body)
        }
        let session = try await store.startUpload(name)
        return Response(.accepted, headers: uploadHeaders(name, session))
    }

    func uploadStatus(_ name: String, _ id: String) async -> Response {
        switch await store.acquireUpload(id, in: name) {
        case .unknown:
            return .error(.notFound, .blobUploadUnknown, "blob upload unknown to registry")
        case .busy:
            return .error(.conflict, .blobUploadInvalid, "the upload is in use by another request")
        case .session(let session):
            await store.releaseUpload(session)
            return Response(.noContent, headers: uploadHeaders(name, session))
        }
    }

    func cancelUpload(_ name: String, _ id: String) async -> Response {
        switch await store.acquireUpload(id, in: name) {
        case .unknown:
            return .error(.notFound, .blobUploadUnknown, "blob upload unknown to registry")
        case .busy:
            return .error(.conflict, .blobUploadInvalid, "the upload is in use by another request")
        case .session(let session):
            await store.cancelUpload(session)
            return Response(.noContent)
        }
    }

    /// Checks `Content-Range: <start>-<end>` against the upload's size: nil when it fits (or is absent).
    private func checkContentRange(_ request: Request, _ name: String, _ session: UploadSession) -> Response? {
        guard let header = request.header("Content-Range") else { return nil }
        let text = header.hasPrefix("bytes ") ? String(header.dropFirst(6)) : header
        let parts = text.split(separator: "-", maxSplits: 1)
        guard parts.count == 2, let start = Int64(parts[0]), let end = Int64(parts[1].split(separator: "/").first ?? ""),
            start >= 0, end >= start - 1
        else {
            return .error(.badRequest, .blobUploadInvalid, "invalid Content-Range \(header)")
        }
        var mismatch = start != session.data.size
        if let length = request.header("Content-Length").flatMap(Int64.init), length != end - start + 1 {
            mismatch = true
        }
        guard mismatch else { return nil }
        var response = Response.error(
            .rangeNotSatisfiable, .blobUploadInvalid,
            "chunk \(start)-\(end) does not continue the upload at offset \(session.data.size)"
        )
        for (header, value) in uploadHeaders(name, session) { response.headers.replaceOrAdd(name: header, value: value) }
        return response
    }

    func patchUpload(_ request: Request, _ name: String, _ id: String, body: RequestBody) async throws -> Response {
        let session: UploadSession
        switch await store.acquireUpload(id, in: name) {
        case .unknown: return .error(.notFound, .blobUploadUnknown, "blob upload unknown to registry")
        case .busy: return .error(.conflict, .blobUploadInvalid, "the upload is in use by another request")
        case .session(let found): session = found
        }
        if let refused = checkContentRange(request, name, session) {
            await store.releaseUpload(session)
            return refused
        }
        do {
            try await receive(body, into: session, algorithm: nil)
        } catch {
            await store.releaseUpload(session)
            throw error
        }
        await store.releaseUpload(session)
        return Response(.accepted, headers: uploadHeaders(name, session))
    }

    func putUpload(_ request: Request, _ name: String, _ id: String, body: RequestBody) async throws -> Response {
        let session: UploadSession
        switch await store.acquireUpload(id, in: name) {
        case .unknown: return .error(.notFound, .blobUploadUnknown, "blob upload unknown to registry")
        case .busy: return .error(.conflict, .blobUploadInvalid, "the upload is in use by another request")
        case .session(let found): session = found
        }
        guard let digestText = request.queryValue("digest"), let digest = RegistryNames.digest(digestText) else {
            await store.releaseUpload(session)
            return .error(.badRequest, .digestInvalid, "the digest parameter is missing or invalid")
        }
        if let refused = checkContentRange(request, name, session) {
            await store.releaseUpload(session)
            return refused
        }
        return try await receiveAndFinish(session, name, digest, request: request, body: body)
    }

    /// Appends the body to an acquired session, verifies `digest` and makes the blob visible, or drops the upload.
    private func receiveAndFinish(
        _ session: UploadSession, _ name: String, _ digest: ContentDigest, request: Request, body: RequestBody
    ) async throws -> Response {
        do {
            try await receive(body, into: session, algorithm: digest.algorithm)
        } catch {
            await store.releaseUpload(session)
            throw error
        }
        let actual: String
        if let hasher = session.hasher, hasher.algorithm == digest.algorithm {
            actual = hasher.finalize()
        } else {
            var hasher = StreamHasher(digest.algorithm)
            try await session.data.readAll { hasher.update($0) }
            actual = hasher.finalize()
        }
        guard actual == digest.description else {
            await store.cancelUpload(session)
            return .error(
                .badRequest, .digestInvalid, "the content's digest is \(actual), not \(digest)",
                detail: ["digest": digest.description]
            )
        }
        try await store.finishUpload(session, as: digest.description)
        return blobCreated(name, digest.description)
    }

    /// Streams the request body into the upload, hashing what is appended; bounded by the upload limit.
    private func receive(_ body: RequestBody, into session: UploadSession, algorithm: ContentDigest.Algorithm?) async throws {
        let limit = configuration.limits.uploadBytes
        let batch = 1 << 20
        var pending = ByteBuffer()
        func flush() async throws {
            guard pending.readableBytes > 0 else { return }
            if session.hasher == nil { session.hasher = StreamHasher(algorithm ?? .sha256) }
            let before = session.hasher
            session.hasher?.update(pending)
            do {
                try await session.data.append(pending)
            } catch {
                session.hasher = before
                throw error
            }
            pending = ByteBuffer()
        }
        while var chunk = try await body.next() {
            if let limit, session.data.size + Int64(pending.readableBytes) + Int64(chunk.readableBytes) > limit {
                throw UploadTooLarge(limit: limit)
            }
            if pending.readableBytes == 0, chunk.readableBytes >= batch {
                pending = chunk
            } else {
                pending.writeBuffer(&chunk)
            }
            if pending.readableBytes >= batch { try await flush() }
        }
        try await flush()
    }
}

struct BlobCut: Error {}

/// A `Range: bytes=...` request header (RFC 9110 section 14.2), for a single range.
enum ByteRange {
    case whole
    case unsatisfiable
    case range(Range<Int64>)

    static func parse(_ header: String, size: Int64) -> ByteRange {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("bytes=") else { return .whole }
        let spec = trimmed.dropFirst(6)
        guard !spec.contains(",") else { return .whole }  // several ranges: answered with the whole blob
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .unsatisfiable }
        let first = parts[0].trimmingCharacters(in: .whitespaces)
        let last = parts[1].trimmingCharacters(in: .whitespaces)
        if first.isEmpty {
            guard let suffix = Int64(last), suffix > 0, size > 0 else { return .unsatisfiable }
            return .range(max(0, size - suffix)..<size)
        }
        guard let start = Int64(first), start >= 0 else { return .unsatisfiable }
        guard start < size else { return .unsatisfiable }
        if last.isEmpty { return .range(start..<size) }
        guard let end = Int64(last), end >= start else { return .unsatisfiable }
        return .range(start..<(min(end, size - 1) + 1))
    }
}
