import DockyardManifests
import DockyardReferences
import Foundation

/// What ``RegistryClient/copyReferrers(of:from:to:artifactType:concurrency:)`` copied.
public struct ReferrersCopyResult: Sendable, Hashable, Encodable, CustomStringConvertible {
    /// The manifests whose referrers were looked for (the image's index and manifests, then the referrers found).
    public var subjects: [ContentDigest]
    /// The referring manifests copied, each with its `artifactType` and annotations, in the order copied.
    public var referrers: [Descriptor]
    /// Blob counts and bytes of all the referrers' copies.
    public var totals: TransferTotals

    /// `2 referrers (…totals…)`.
    public var description: String { "\(referrers.count) referrers (\(totals))" }
}

extension RegistryClient {
    /// Copies the manifests that refer to an image (signatures, SBOMs, attestations) to another repository, after
    /// the image itself was copied there, so that clients of the destination find them as referrers.
    ///
    /// The source's referrers are listed with ``referrers(of:in:artifactType:)`` (the referrers API, or the
    /// referrers tag schema on registries without it). Each referrer is copied by digest, byte for byte, with its
    /// blobs (mounted within one registry), and then recorded at the destination with
    /// ``addReferrer(_:of:in:)``: nothing more on a registry with the referrers API, the `<alg>-<hex>` index on one
    /// without. Referrers of referrers (a signature of an SBOM) follow, up to four levels deep.
    ///
    /// ```swift
    /// let copied = try await client.copy(from: source, to: destination, platforms: .all)
    /// try await client.copyReferrers(
    ///     of: [copied.digest] + copied.manifests.map(\.digest), from: source.repository, to: destination.repository)
    /// ```
    ///
    /// - Parameters:
    ///   - subjects: The digests of the manifests whose referrers to copy (an index and its platform manifests).
    ///   - source: The repository the referrers are in.
    ///   - destination: The repository to copy them to.
    ///   - artifactType: Only referrers of this type (at the first level), or `nil` for all.
    ///   - concurrency: How many blobs of a referrer move at once.
    /// - Returns: What was copied.
    /// - Throws: ``RegistryError``, `ManifestError`, `BlobTransferError`, `AuthError`, `TransportError`.
    @discardableResult
    public func copyReferrers(
        of subjects: [ContentDigest],
        from source: Repository,
        to destination: Repository,
        artifactType: MediaType? = nil,
        concurrency: Int = 4
    ) async throws -> ReferrersCopyResult {
        var result = ReferrersCopyResult(subjects: [], referrers: [], totals: TransferTotals())
        var seen = Set<ContentDigest>()
        var level = subjects.filter { seen.insert($0).inserted }
        for depth in 0..<4 where !level.isEmpty {
            var next: [ContentDigest] = []
            for subject in level {
                result.subjects.append(subject)
                let found = try await referrers(of: subject, in: source, artifactType: depth == 0 ? artifactType : nil).collect()
                for referrer in found where seen.insert(referrer.digest).inserted {
                    let moved = try await transfer(
                        from: image(try ImageReference(repository: source, digest: referrer.digest)),
                        to: image(try ImageReference(repository: destination, digest: referrer.digest)),
                        options: ImageTransferOptions(platforms: .all, concurrency: concurrency))
                    try await addReferrer(referrer, of: subject, in: destination)
                    result.referrers.append(referrer)
                    result.totals.add(moved.totals)
                    next.append(referrer.digest)
                }
            }
            level = next
        }
        return result
    }
}
