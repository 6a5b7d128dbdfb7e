// Coverage-guided fuzz targets for libFuzzer, built only by `scripts/fuzz` (never by `swift build` or
// `swift test`: Package.swift adds this target only when DOCKYARD_FUZZ=1).
//
// One instrumented binary holds every target; `DOCKYARD_FUZZ_TARGET` picks the one `LLVMFuzzerTestOneInput`
// runs. Each target feeds bytes to a parser that reads data from the network or from a file and checks what must
// hold of any input: no trap, and the invariants below (a violated invariant traps on purpose, so libFuzzer
// records a crash).
@testable import Dockyard
@testable import DockyardAuth
@testable import DockyardBlobTransfer
import DockyardHubAPI
import DockyardManifests
import DockyardReferences
@testable import DockyardTransport
import Foundation
import NIOHTTP1

/// The fuzz targets by name, as `scripts/fuzz` lists them.
public enum FuzzTargets {
    /// Every target: name and the function that runs one input.
    public static let all: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
        ("reference", reference),
        ("manifest", manifest),
        ("challenge", challenge),
        ("link", link),
        ("upload-headers", uploadHeaders),
        ("docker-config", dockerConfig),
        ("retry-after", retryAfter),
        ("token-response", tokenResponse),
        ("webhook", webhook),
    ]

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    static func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition {
            FileHandle.standardError.write(Data("invariant violated: \(message())\n".utf8))
            abort()
        }
    }

    /// Image references, repositories and digests: parse, and what parses prints back to itself.
    static func reference(_ bytes: [UInt8]) {
        let input = text(bytes)
        if let parsed = try? ImageReference(parsing: input) {
            let again = try? ImageReference(parsing: parsed.description)
            require(again == parsed, "reference round trip: \(input.debugDescription)")
        }
        if let normalized = try? ImageReference(normalizing: input) {
            let again = try? ImageReference(normalizing: normalized.description)
            require(again == normalized, "normalized round trip: \(input.debugDescription)")
        }
        _ = try? AnyReference(parsing: input)
        _ = try? Repository(parsing: input)
        if let digest = try? ContentDigest(parsing: input) {
            require((try? ContentDigest(parsing: digest.description)) == digest, "digest round trip")
        }
    }

    /// The manifest / index / configuration decoder with its validation.
    static func manifest(_ bytes: [UInt8]) {
        guard bytes.count <= ManifestDocument.maximumSize else { return }
        _ = try? ManifestDocument(bytes: bytes)
        for mediaType in [MediaType.ociManifest, .ociIndex, .dockerManifest, .dockerManifestList] {
            _ = try? ManifestDocument(bytes: bytes, mediaType: mediaType)
        }
        _ = try? JSONDecoder().decode(ImageConfiguration.self, from: Data(bytes))
    }

    /// `WWW-Authenticate` challenges, and the scopes they carry.
    static func challenge(_ bytes: [UInt8]) {
        let value = text(bytes)
        for challenge in AuthChallenge.parse(value) {
            _ = challenge.description
            _ = challenge.scopes
            // What a challenge prints parses back to the same challenge.
            let again = AuthChallenge.parse(challenge.description)
            require(again.count == 1 && again.first == challenge, "challenge round trip: \(value.debugDescription)")
        }
        var headers = HTTPHeaders()
        for line in value.split(separator: "\n", maxSplits: 4) { headers.add(name: "WWW-Authenticate", value: String(line)) }
        _ = AuthChallenge.parse(headers: headers)
        _ = Scope.parseList(value)
    }

    /// RFC 8288 `Link` headers of paginated lists.
    static func link(_ bytes: [UInt8]) {
        let value = text(bytes)
        if let target = LinkHeader.nextTarget(value) {
            _ = URL(string: target, relativeTo: URL(string: "https://registry.example/v2/a/tags/list"))
        }
    }

    /// Upload and download header arithmetic: `Range`, `Content-Range`, `OCI-Chunk-Min-Length`, chunking.
    static func uploadHeaders(_ bytes: [UInt8]) {
        let lines = text(bytes).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let range = lines.first ?? ""
        let minimum = lines.count > 1 ? lines[1] : ""
        let contentRange = lines.count > 2 ? lines[2] : ""
        let total: Int64 = bytes.count >= 8
            ? bytes.suffix(8).reduce(Int64(0)) { ($0 << 8) | Int64($1) } & Int64.max
            : Int64(bytes.count)
        if let offset = try? BlobProtocol.uploadOffset(range: range, total: total) {
            require(offset >= 0 && offset <= total, "an upload offset lies within the blob")
        }
        if let chunk = try? BlobProtocol.chunkMinimum(minimum) {
            let size = BlobProtocol.chunkSize(configured: Int(truncatingIfNeeded: total), minimum: chunk)
            require(size >= 1, "a chunk is at least one byte")
            var offset: Int64 = 0
            var count = 0
            while let next = BlobProtocol.nextChunk(offset: offset, total: total, chunkSize: size), count < 64 {
                require(next.lowerBound == offset && next.upperBound <= total && !next.isEmpty, "chunks tile the blob")
                offset = next.upperBound
                count += 1
            }
            let from = Int64(truncatingIfNeeded: bytes.count &* 7919) & Int64.max
            if let last = BlobProtocol.nextChunk(offset: from, total: total, chunkSize: size) {
                require(last.upperBound <= total, "a chunk ends within the blob")
            }
        }
        if let parsed = BlobProtocol.contentRangeStart(contentRange) {
            require(parsed.first >= 0, "a content range starts at a byte")
        }
        _ = BlobProtocol.rangeHeader(from: total)
        if total > 0 { _ = BlobProtocol.chunkContentRange(0..<total) }
    }

    /// The docker CLI's `config.json`, and its encoding of what it decoded.
    static func dockerConfig(_ bytes: [UInt8]) {
        guard let config = try? DockerConfig(data: Data(bytes)) else { return }
        _ = String(describing: config)
        for (key, entry) in config.auths { _ = try? entry.credentials(key: key) }
        if let data = try? config.encoded() {
            require((try? DockerConfig(data: data)) != nil, "an encoded config.json decodes again")
        }
    }

    /// `Retry-After` values (seconds and the three HTTP date formats).
    static func retryAfter(_ bytes: [UInt8]) {
        let value = text(bytes)
        if let wait = RetryAfter.parse(value, now: Date(timeIntervalSince1970: 1_700_000_000)) {
            require(wait >= .zero, "a wait is never negative")
        }
        _ = HTTPDate.parse(value)
    }

    /// Token service answers (`token`, `access_token`, `expires_in`, `issued_at`, `refresh_token`).
    static func tokenResponse(_ bytes: [UInt8]) {
        if let token = try? TokenService.parseTokenResponse(Data(bytes), started: .now) {
            require(token.lifetime > .zero, "a token lives a positive time")
            require(!token.value.isEmpty, "a token is not empty")
        }
        _ = TokenService.errorMessage(in: Data(bytes))
    }

    /// Docker Hub webhook payloads.
    static func webhook(_ bytes: [UInt8]) {
        _ = try? WebhookDelivery.decode(from: bytes)
    }
}

private let selected: (@Sendable ([UInt8]) -> Void)? = {
    let name = ProcessInfo.processInfo.environment["DOCKYARD_FUZZ_TARGET"] ?? ""
    return FuzzTargets.all.first { $0.name == name }?.run
}()

/// libFuzzer's entry point: runs the target named by `DOCKYARD_FUZZ_TARGET` on one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let run = selected else {
        let names = FuzzTargets.all.map(\.name).joined(separator: ", ")
        FileHandle.standardError.write(Data("set DOCKYARD_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    run(bytes)
    return 0
}
