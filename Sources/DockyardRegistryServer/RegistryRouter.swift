import Foundation
import NIOCore
import NIOHTTP1

/// The distribution API's endpoints, parsed from a request path.
enum Endpoint: Equatable {
    case base
    case catalog
    case tags(String)
    case manifest(String, String)
    case blob(String, String)
    case uploadStart(String)
    case upload(String, String)
    case referrers(String, String)
    case invalidName
    case unknown

    var route: RegistryRoute {
        switch self {
        case .base: .base
        case .catalog: .catalog
        case .tags: .tags
        case .manifest: .manifest
        case .blob: .blob
        case .uploadStart, .upload: .upload
        case .referrers: .referrers
        case .invalidName, .unknown: .unknown
        }
    }

    /// Parses `/v2/...` (distribution-spec `spec.md`, "Endpoints"). Repository names may contain `/`, so the
    /// endpoint is recognised from the end of the path.
    init(path: String) {
        guard path == "/v2" || path.hasPrefix("/v2/") else {
            self = .unknown
            return
        }
        let rest = path.dropFirst(path == "/v2" ? 3 : 4)
        if rest.isEmpty {
            self = .base
            return
        }
        if rest == "_catalog" {
            self = .catalog
            return
        }
        var parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let trailingSlash = parts.last == ""
        if trailingSlash { parts.removeLast() }
        let n = parts.count
        func name(_ count: Int) -> String? {
            guard count > 0 else { return nil }
            let name = parts[0..<count].joined(separator: "/")
            return RegistryNames.isValidRepository(name) ? name : nil
        }
        let endpoint: Endpoint?
        let nameLength: Int
        if n >= 3, parts[n - 2] == "tags", parts[n - 1] == "list", !trailingSlash {
            nameLength = n - 2
            endpoint = name(nameLength).map { .tags($0) }
        } else if n >= 3, parts[n - 2] == "manifests", !trailingSlash {
            nameLength = n - 2
            endpoint = name(nameLength).map { .manifest($0, parts[n - 1]) }
        } else if n >= 3, parts[n - 2] == "referrers", !trailingSlash {
            nameLength = n - 2
            endpoint = name(nameLength).map { .referrers($0, parts[n - 1]) }
        } else if n >= 3, parts[n - 2] == "blobs", parts[n - 1] == "uploads" {
            nameLength = n - 2
            endpoint = name(nameLength).map { .uploadStart($0) }
        } else if n >= 4, parts[n - 3] == "blobs", parts[n - 2] == "uploads", !trailingSlash {
            nameLength = n - 3
            endpoint = name(nameLength).map { .upload($0, parts[n - 1]) }
        } else if n >= 3, parts[n - 2] == "blobs", !trailingSlash {
            nameLength = n - 2
            endpoint = name(nameLength).map { .blob($0, parts[n - 1]) }
        } else {
            self = .unknown
            return
        }
        self = endpoint ?? .invalidName
    }
}

/// Distribution-spec error codes (`spec.md`, "Error Codes").
enum ErrorCode: String {
    case blobUnknown = "BLOB_UNKNOWN"
    case blobUploadInvalid = "BLOB_UPLOAD_INVALID"
    case blobUploadUnknown = "BLOB_UPLOAD_UNKNOWN"
    case digestInvalid = "DIGEST_INVALID"
    case manifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
    case manifestInvalid = "MANIFEST_INVALID"
    case manifestUnknown = "MANIFEST_UNKNOWN"
    case nameInvalid = "NAME_INVALID"
    case nameUnknown = "NAME_UNKNOWN"
    case sizeInvalid = "SIZE_INVALID"
    case unauthorized = "UNAUTHORIZED"
    case denied = "DENIED"
    case unsupported = "UNSUPPORTED"
    case tooManyRequests = "TOOMANYREQUESTS"
    case paginationNumberInvalid = "PAGINATION_NUMBER_INVALID"
    case unknown = "UNKNOWN"
}

private struct ErrorBody: Encodable {
    struct Entry: Encodable {
        var code: String
        var message: String
        var detail: [String: String]?
    }

    var errors: [Entry]
}

extension Response {
    static func error(
        _ status: HTTPResponseStatus, _ code: ErrorCode, _ message: String, detail: [String: String]? = nil
    ) -> Response {
        let body = ErrorBody(errors: [.init(code: code.rawValue, message: message, detail: detail)])
        let data = (try? JSONEncoder().encode(body)) ?? Data("{\"errors\":[]}".utf8)
        return Response(status, headers: ["Content-Type": "application/json"], body: .buffer(ByteBuffer(bytes: data)))
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponseStatus = .ok, contentType: String = "application/json") -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status, headers: ["Content-Type": contentType], body: .buffer(ByteBuffer(bytes: data)))
    }
}

/// Answers distribution API requests from the store.
struct RegistryRouter: Sendable {
    let store: RegistryStore
    let hooks: RegistryTestHooks
    let configuration: EmbeddedRegistry.Configuration
    let authenticator: Authenticator
    /// Issues and checks bearer tokens under token authentication; nil otherwise.
    let tokenIssuer: TokenIssuer?
    /// The listening address as `host:port`, for the token realm when a request has no usable `Host`.
    let registryHost: String

    func log(_ request: Request, status: Int, bytesIn: Int64, bytesOut: Int64, duration: Duration) {
        guard let log = configuration.requestLog else { return }
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        log(EmbeddedRegistry.RequestRecord(
            method: request.method, target: request.target, status: status, bytesIn: bytesIn, bytesOut: bytesOut,
            duration: seconds, remote: request.remote, user: request.user
        ))
    }

    func handle(_ request: inout Request, body: RequestBody) async -> Response {
        let endpoint = Endpoint(path: request.path)
        if let tokenIssuer {
            if request.path == tokenServicePath {
                do {
                    return try await tokenEndpoint(&request, body: body, issuer: tokenIssuer)
                } catch {
                    var response = Response.error(.badRequest, .unknown, "the token request could not be read")
                    response.close = true
                    return response
                }
            }
            if let refusal = authorizeBearer(&request, endpoint: endpoint, issuer: tokenIssuer) { return refusal }
        } else if authenticator.requiresBasic {
            guard let user = await authenticator.user(for: request.header("Authorization")) else {
                var response = Response.error(.unauthorized, .unauthorized, "authentication required")
                response.headers.add(name: "WWW-Authenticate", value: "Basic realm=\"Dockyard registry\"")
                return response
            }
            request.user = user
        }
        let (failure, delay) = hooks.record(method: request.method, route: endpoint.route)
        if let delay { try? await Task.sleep(for: delay) }
        if let failure {
            let status = HTTPResponseStatus(statusCode: failure)
            let code: ErrorCode = switch failure {
            case 401: .unauthorized
            case 403: .denied
            case 429: .tooManyRequests
            default: .unknown
            }
            var response = Response.error(status, code, "injected failure (test hook)")
            if failure == 429 || failure == 503 { response.headers.add(name: "Retry-After", value: "0") }
            return response
        }
        let method = request.method
        if configuration.readOnly, method != "GET", method != "HEAD" {
            return .error(.methodNotAllowed, .unsupported, "the registry is read-only")
        }
        do {
            switch endpoint {
            case .base:
                guard method == "GET" || method == "HEAD" else { return notAllowed(method) }
                return .json([String: String]())
            case .catalog:
                guard method == "GET" else { return notAllowed(method) }
                return await catalog(request)
            case .tags(let name):
                guard method == "GET" else { return notAllowed(method) }
                return await tags(request, name)
            case .manifest(let name, let reference):
                switch method {
                case "GET", "HEAD": return try await getManifest(request, name, reference)
                case "PUT": return try await putManifest(request, name, reference, body: body)
                case "DELETE": return try await deleteManifest(name, reference)
                default: return notAllowed(method)
                }
            case .blob(let name, let digest):
                switch method {
                case "GET", "HEAD": return await getBlob(request, name, digest)
                case "DELETE": return try await deleteBlob(name, digest)
                default: return notAllowed(method)
                }
            case .uploadStart(let name):
                guard method == "POST" else { return notAllowed(method) }
                return try await startUpload(request, name, body: body)
            case .upload(let name, let id):
                switch method {
                case "GET": return await uploadStatus(name, id)
                case "PATCH": return try await patchUpload(request, name, id, body: body)
                case "PUT": return try await putUpload(request, name, id, body: body)
                case "DELETE": return await cancelUpload(name, id)
                default: return notAllowed(method)
                }
            case .referrers(let name, let digest):
                guard method == "GET" else { return notAllowed(method) }
                return await referrers(request, name, digest)
            case .invalidName:
                return .error(.badRequest, .nameInvalid, "invalid repository name")
            case .unknown:
                return .error(.notFound, .unsupported, "no such endpoint: \(request.path)")
            }
        } catch let error as UploadTooLarge {
            var response = Response.error(.payloadTooLarge, .sizeInvalid, "the content is larger than \(error.limit) bytes")
            response.close = true
            return response
        } catch {
            var response = Response.error(.internalServerError, .unknown, "\(error)")
            response.close = true
            return response
        }
    }

    func notAllowed(_ method: String) -> Response {
        .error(.methodNotAllowed, .unsupported, "method \(method) is not supported here")
    }
}

struct UploadTooLarge: Error {
    var limit: Int64
}
