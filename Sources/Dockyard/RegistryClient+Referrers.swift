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
    /// The referrers API (`GET /v2/<name>/referrers/<digest>`) is asked first, following its
    /// `Link: <…>; rel="next"` pages. A registry without it answers `404`, and then the tag schema is read
    /// instead: the index tagged `<algorithm>-<hex>`, which clients keep up to date on such registries. When
    /// neither exists, the list is empty.
    ///
    /// ```swift
    /// for try await referrer in client.referrers(of: digest, in: repository) { print(referrer.digest) }
    /// let sboms = try await client.referrers(of: digest, in: repository, artifactType: "application/spdx+json").collect()
    /// ```
    ///
    /// See the OCI distribution specification, "Listing Referrers" and "Referrers Tag Schema".
    ///
    /// - Parameters:
    ///   - digest: The digest of the manifest referred to.
    ///   - repository: The repository holding it.
    ///   - artifactType: Only referrers of this artifact type, or `nil` for all. Applied locally to each page the
    ///     registry did not filter (no `OCI-Filters-Applied: artifactType` header).
    /// - Returns: The descriptors of the referring manifests, as the same `PageSequence` every Dockyard list is,
    ///   fetched on demand; iteration throws ``RegistryError``, `ManifestError` for an unreadable index,
    ///   `AuthError` or `TransportError`.
    public func referrers(
        of digest: ContentDigest,
        in repository: Repository,
        artifactType: MediaType? = nil
    ) -> PageSequence<Descriptor> {
        let client = self
        let subject = "\(repository.name)@\(digest)"
        let first = Result { () throws -> URL in
            var url = try baseURL(for: repository).appendingPathComponent("referrers").appendingPathComponent(digest.description)
            if let artifactType, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
                components.queryItems = [URLQueryItem(name: "artifactType", value: artifactType.rawValue)]
                url = components.url ?? url
            }
            return url
        }
        let start = try? first.get()
        let raw = PageSequence(pageSize: nil, start: start) { (cursor: URL?, _: Int?) -> FetchedPage<ReferrersPage, URL> in
            let url = try cursor ?? first.get()
            let request = TransportRequest(method: .GET, url: url, headers: RegistryClient.acceptHeaders([.ociIndex]))
            let response = try await client.send(request, repository: repository, actions: [.pull])
            switch response.status {
            case .ok:
                let bytes = try await client.collectBody(
                    response, for: request, subject: subject,
                    refusal: "the referrers index is larger than \(RegistryClient.maxManifestBytes) bytes; Dockyard refuses it")
                let document = try ManifestDocument(bytes: bytes, mediaType: .ociIndex)
                guard case .index(let index) = document.content else {
                    throw RegistryError(
                        code: .invalidResponse, status: 200, method: "GET", url: url, subject: subject,
                        message: "the referrers answer is not an image index")
                }
                let filtered = response.headers[canonicalForm: "OCI-Filters-Applied"]
                    .contains { $0.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "artifactType" } }
                let page = ReferrersPage(descriptors: index.manifests, filteredByRegistry: filtered)
                // (An empty page ends the list, as for every PageSequence.)
                return FetchedPage(items: page.descriptors.isEmpty ? [] : [page], next: try RegistryClient.nextPage(response, current: url))
            case .notFound where url == start:
                await response.body.drain()
                let entries = try await client.referrersFromTagSchema(of: digest, in: repository)
                return FetchedPage(items: [ReferrersPage(descriptors: entries, filteredByRegistry: false)], next: nil)
            default:
                throw await client.failure(response, for: request, subject: subject)
            }
        }
        return raw.mapPageItems { pages in
            pages.flatMap { page in
                guard let artifactType, !page.filteredByRegistry else { return page.descriptors }
                return page.descriptors.filter { $0.artifactType == artifactType }
            }
        }
    }

    /// One page of the referrers list as fetched: its descriptors and whether the registry applied the
    /// `artifactType` filter to them.
    struct ReferrersPage: Sendable {
        var descriptors: [Descriptor]
        var filteredByRegistry: Bool
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
