import DockyardReferences
import DockyardTransport
import Foundation

/// The small pieces of the OCI distribution spec's blob protocol, kept pure so they can be tested alone.
enum BlobProtocol {
    /// The offset an upload continues from, given the `Range` header a registry returned for an upload session.
    ///
    /// The spec ("Pushing a blob in chunks") gives the range of bytes received as `0-<end>` with an inclusive end.
    /// Some registries prefix `bytes=`. distribution answers `0-0` for an empty session as well as for one byte;
    /// it is read as empty, which is safe: a registry that holds one byte refuses a chunk at 0 with 416 and says so.
    ///
    /// - Returns: The next offset, or `nil` when the header is not a range from 0 or its end overflows.
    static func uploadOffset(fromRange header: String) -> Int64? {
        var text = Substring(header.trimmingCharacters(in: .whitespaces))
        if text.lowercased().hasPrefix("bytes=") { text = text.dropFirst(6) }
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let start = decimal(parts[0]), start == 0, let end = decimal(parts[1]) else {
            return nil
        }
        if end == 0 { return 0 }
        let (next, overflow) = end.addingReportingOverflow(1)
        return overflow ? nil : next
    }

    /// The offset an upload continues from, checked against the blob's size: a registry cannot hold more bytes
    /// than were sent.
    ///
    /// - Parameters:
    ///   - range: The `Range` header's value.
    ///   - total: The blob's size.
    /// - Returns: The next offset, in `0...total`.
    /// - Throws: ``BlobTransferError`` (``BlobTransferError/Code/invalidResponse``) for a value that is not a
    ///   range from 0, that overflows, or that lies past the end of the blob.
    static func uploadOffset(range: String, total: Int64, url: URL? = nil) throws(BlobTransferError) -> Int64 {
        guard let offset = uploadOffset(fromRange: range) else {
            throw BlobTransferError(
                .invalidResponse,
                message: "the registry answered an upload with an unusable Range header (\(range.prefix(64).debugDescription)); "
                    + "it does not follow the distribution spec",
                url: url)
        }
        guard offset <= total else {
            throw BlobTransferError(
                .invalidResponse,
                message: "the registry claims to hold \(offset) bytes of a \(total)-byte upload; it is misbehaving, "
                    + "so the upload stops",
                url: url)
        }
        return offset
    }

    /// A non-negative decimal number of at most 19 digits (an `Int64`), with no sign or space.
    static func decimal(_ text: Substring) -> Int64? {
        WireNumber.decimal(text)
    }

    /// The `OCI-Chunk-Min-Length` of an upload session: the smallest chunk the registry accepts.
    ///
    /// - Parameter header: The header's value.
    /// - Returns: The minimum in bytes.
    /// - Throws: ``BlobTransferError`` (``BlobTransferError/Code/invalidResponse``) when it is not a non-negative
    ///   decimal number that fits in 64 bits.
    static func chunkMinimum(_ header: String, url: URL? = nil) throws(BlobTransferError) -> Int64 {
        guard let value = decimal(Substring(header.trimmingCharacters(in: .whitespaces))) else {
            throw BlobTransferError(
                .invalidResponse,
                message: "the registry sent an unusable OCI-Chunk-Min-Length (\(header.prefix(64).debugDescription)); "
                    + "it does not follow the distribution spec",
                url: url)
        }
        return value
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
        guard ends.count == 2, let first = decimal(ends[0]), let last = decimal(ends[1]), last >= first else {
            return nil
        }
        let total = halves.count == 2 ? decimal(halves[1]) : nil
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
        max(Int64(max(configured, 1)), minimum ?? 0, 1)
    }

    /// The byte range of the next chunk from `offset`, or `nil` when everything was sent.
    ///
    /// A chunk size past the end of the blob (a registry may ask for a minimum near 2^63) is one chunk to the end.
    static func nextChunk(offset: Int64, total: Int64, chunkSize: Int64) -> Range<Int64>? {
        guard offset >= 0, offset < total, chunkSize > 0 else { return nil }
        let (end, overflow) = offset.addingReportingOverflow(chunkSize)
        return offset..<(overflow ? total : min(total, end))
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
