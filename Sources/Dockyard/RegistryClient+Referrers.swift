import DockyardAuth
import DockyardManifests
import DockyardReferences
import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1

extension RegistryClient {
    /// Lists the manifests that refer to a manifest through their `subject` field (signatures, SBOMs,
    /// attestations).
    ///
    /// The referrers API (`GET /v2/<name>/referrers/<digest>`) is asked first. A registry without it answers
    /// `404`, and then the tag schema is read instead: the index tagged `<algorithm>-<hex>`, which clients keep up
    /// to date on such registries. When neither exists, the list is empty.
    ///
    /// See the OCI distribution specification, "Listing Referrers" and "Referrers Tag Schema".
    ///
    /// - Parameters:
    ///   - digest: The digest of the manifest referred to.
    ///   - repository: The repository holding it.
    ///   - artifactType: Only referrers of this artifact type, or `nil` for all. Applied locally when the
    ///     registry did not filter (no `OCI-Filters-Applied: artifactType` header).
    /// - Returns: The descriptors of the referring manifests.
    /// - Throws: ``RegistryError``, `ManifestError` for an unreadable index, `AuthError`, `TransportError`.
    public func referrers(
        of digest: ContentDigest,
        in repository: Repository,
        artifactType: MediaType? = nil
    ) async throws -> [Descriptor] {
        var url = try baseURL(for: repository).appendingPathComponent("referrers").appendingPathComponent(digest.description)
        if let artifactType, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
            components.queryItems = [URLQueryItem(name: "artifactType", value: artifactType.rawValue)]
            url = components.url ?? url
        }
        let request = TransportRequest(method: .GET, url: url, headers: RegistryClient.acceptHeaders([.ociIndex]))
        let response = try await send(request, repository: repository, actions: [.pull])
        let subject = "\(repository.name)@\(digest)"
        let entries: [Descriptor]
        let filtered: Bool
        switch response.status {
        case .ok:
            let bytes = try await collectBody(
                response, for: request, subject: subject,
                refusal: "the referrers index is larger than \(RegistryClient.maxManifestBytes) bytes; Dockyard refuses it")
            let document = try ManifestDocument(bytes: bytes, mediaType: .ociIndex)
            guard case .index(let index) = document.content else {
                throw RegistryError(
                    code: .invalidResponse, status: 200, method: "GET", url: url, subject: subject,
                    message: "the referrers answer is not an image index")
            }
            entries = index.manifests
            filtered = response.headers[canonicalForm: "OCI-Filters-Applied"]
                .contains { $0.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "artifactType" } }
        case .notFound:
            await response.body.drain()
            entries = try await referrersFromTagSchema(of: digest, in: repository)
            filtered = false
        default:
            throw await failure(response, for: request, subject: subject)
        }
        guard let artifactType, !filtered else { return entries }
        return entries.filter { $0.artifactType == artifactType }
    }

    /// Reads the referrers index kept under the tag `<algorithm>-<hex>`, or returns none when it does not exist.
    ///
    /// The algorithm is cut to 32 characters and the hex to 64, as the specification's "Referrers Tag Schema"
    /// says, so a sha512 digest gives a valid tag too.
    private func referrersFromTagSchema(of digest: ContentDigest, in repository: Repository) async throws -> [Descriptor] {
        let tag = "\(String(digest.algorithm.description.prefix(32)))-\(digest.encoded.prefix(64))"
        let reference = try ImageReference(normalizing: "\(repository.name):\(tag)")
        do {
            let document = try await manifest(for: reference, accepting: [.ociIndex])
            guard case .index(let index) = document.content else { return [] }
            return index.manifests
        } catch let error as RegistryError where error.code == .manifestUnknown || error.code == .nameUnknown || error.status == 404 {
            return []
        }
    }
}
