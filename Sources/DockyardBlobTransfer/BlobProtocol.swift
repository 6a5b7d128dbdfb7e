import DockyardReferences
import Foundation

/// The small pieces of the OCI distribution spec's blob protocol, kept pure so they can be tested alone.
enum BlobProtocol {
    /// The offset an upload continues from, given the `Range` header a registry returned for an upload session.
    ///
    /// The spec ("Pushing a blob in chunks") gives the range of bytes received as `0-<end>` with an inclusive end.
    /// Some registries prefix `bytes=`. distribution answers `0-0` for an empty session as well as for one byte;
    /// it is read as empty, which is safe: a registry that holds one byte refuses a chunk at 0 with 416 and says so.
    ///
    /// - Returns: The next offset, or `nil` when the header is not a range from 0.
    static func uploadOffset(fromRange header: String) -> Int64? {
        var text = Substring(header.trimmingCharacters(in: .whitespaces))
        if text.lowercased().hasPrefix("bytes=") { text = text.dropFirst(6) }
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Int64(parts[0]), start == 0, let end = Int64(parts[1]), end >= 0 else {
            return nil
        }
        return end == 0 ? 0 : end + 1
    }

    /// The value of a `Range` request header that asks for everything from `offset` on (RFC 9110 §14.1.2).
    static func rangeHeader(from offset: Int64) -> String { "bytes=\(offset)-" }

    /// The value of a `Range` request header for the half-open `range`.
    static func rangeHeader(for range: Range<Int64>) -> String { "bytes=\(range.lowerBound)-\(range.upperBound - 1)" }

    /// The value of the `Content-Range` header of a chunk `PATCH` (the spec's `<start>-<end>`, inclusive, no unit).
    static func chunkContentRange(_ range: Range<Int64>) -> String { "\(range.lowerBound)-\(range.upperBound - 1)" }

    /// The first byte and total of a `206` response's `Content-Range: bytes <first>-<last>/<total|*>`.
    static func contentRangeStart(_ header: String) -> (first: Int64, total: Int64?)? {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.lowercased().hasPrefix("bytes ") else { return nil }
        let spec = text.dropFirst(6)
        let halves = spec.split(separator: "/", maxSplits: 1)
        guard let span = halves.first else { return nil }
        let ends = span.split(separator: "-", maxSplits: 1)
        guard ends.count == 2, let first = Int64(ends[0]), let last = Int64(ends[1]), last >= first else { return nil }
        let total = halves.count == 2 ? Int64(halves[1]) : nil
        return (first, total)
    }

    /// Resolves an upload `Location` header against the URL of the request that returned it.
    ///
    /// The spec allows an absolute URL (possibly on another host, such as a storage service) or a path reference.
    ///
    /// - Throws: ``BlobTransferError`` (``BlobTransferError/Code/invalidResponse``) when the header is not a URL
    ///   reference or resolves to something other than http(s).
    static func resolveLocation(_ header: String, against requestURL: URL) throws -> URL {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, let url = URL(string: trimmed, relativeTo: requestURL)?.absoluteURL,
            let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil
        else {
            throw BlobTransferError(
                .invalidResponse,
                message: "the registry returned an unusable upload Location; it may not support this upload flow",
                url: requestURL)
        }
        return url
    }

    /// Appends one query parameter to a URL without re-encoding its existing query (an upload session's state
    /// is opaque and must go back byte for byte).
    static func appendingQuery(_ url: URL, name: String, value: String) -> URL {
        var text = url.absoluteString
        var fragment = ""
        if let hash = text.firstIndex(of: "#") {
            fragment = String(text[hash...])
            text = String(text[..<hash])
        }
        let separator = text.contains("?") ? (text.hasSuffix("?") || text.hasSuffix("&") ? "" : "&") : "?"
        let encoded = value.addingPercentEncoding(withAllowedCharacters: queryValueAllowed) ?? value
        return URL(string: text + separator + name + "=" + encoded + fragment) ?? url
    }

    private static let queryValueAllowed: CharacterSet = {
        var set = CharacterSet.urlQueryAllowed
        set.remove(charactersIn: "&=+#")
        return set
    }()

    /// The size of each chunk of a chunked upload: the configured size, raised to the registry's
    /// `OCI-Chunk-Min-Length` when it asks for more, and at least one byte.
    static func chunkSize(configured: Int, minimum: Int64?) -> Int64 {
        max(Int64(max(configured, 1)), minimum ?? 0)
    }

    /// The byte range of the next chunk from `offset`, or `nil` when everything was sent.
    static func nextChunk(offset: Int64, total: Int64, chunkSize: Int64) -> Range<Int64>? {
        guard offset < total, chunkSize > 0 else { return nil }
        return offset..<min(total, offset + chunkSize)
    }

    /// Every chunk of a chunked upload of `total` bytes.
    static func chunks(total: Int64, chunkSize: Int64) -> [Range<Int64>] {
        var result: [Range<Int64>] = []
        var offset: Int64 = 0
        while let chunk = nextChunk(offset: offset, total: total, chunkSize: chunkSize) {
            result.append(chunk)
            offset = chunk.upperBound
        }
        return result
    }

    /// The URL of a blob in a repository: `<repository>/blobs/<digest>`.
    static func blobURL(_ repositoryURL: URL, _ digest: ContentDigest) -> URL {
        relative(repositoryURL, "blobs/\(digest)")
    }

    /// The URL that starts an upload session: `<repository>/blobs/uploads/`.
    static func uploadsURL(_ repositoryURL: URL) -> URL {
        relative(repositoryURL, "blobs/uploads/")
    }

    private static func relative(_ base: URL, _ path: String) -> URL {
        var text = base.absoluteString
        if let query = text.firstIndex(of: "?") { text = String(text[..<query]) }
        if !text.hasSuffix("/") { text += "/" }
        return URL(string: text + path) ?? base.appendingPathComponent(path)
    }
}
