import Foundation

extension EmbeddedRegistry {
    /// How an embedded registry listens, stores content and admits clients.
    ///
    /// `Configuration()` is an open registry in memory on an ephemeral loopback port: what a test wants.
    public struct Configuration: Sendable {
        /// Where content lives.
        public enum Storage: Sendable, Equatable {
            /// In the process's memory; gone when the registry stops. Blobs are held in memory: the caller's choice.
            case memory
            /// In a directory, content-addressed, written atomically (temporary file, then rename) and streamed
            /// from and to disk, so a 1 GiB blob never sits in memory. The content survives a restart; uploads in
            /// progress do not.
            case directory(URL)
        }

        /// Who may use the registry.
        public enum Authentication: Sendable, Equatable {
            /// Everyone, without credentials.
            case none
            /// HTTP Basic authentication against user names and plain passwords.
            case basic([String: String])
            /// HTTP Basic authentication against an Apache `htpasswd` file with bcrypt (`$2y$`, `$2a$`, `$2b$`)
            /// entries, read when the registry starts.
            case htpasswd(URL)
            /// Bearer tokens from the registry's own token service, with scopes checked on every route.
            case token(TokenAuthentication)
        }

        /// Bounds on what clients may send.
        public struct Limits: Sendable, Equatable {
            /// The largest manifest accepted, in bytes (4 MiB by default, as in CNCF distribution).
            public var manifestBytes: Int
            /// The largest blob accepted, in bytes; nil for no limit.
            public var uploadBytes: Int64?
            /// The largest page of a tag list or catalog, whatever `n` asks for.
            public var pageSize: Int

            /// Creates limits.
            /// - Parameters:
            ///   - manifestBytes: The largest manifest accepted, in bytes.
            ///   - uploadBytes: The largest blob accepted, in bytes; nil for no limit.
            ///   - pageSize: The largest page of a tag list or catalog.
            public init(manifestBytes: Int = 4 * 1024 * 1024, uploadBytes: Int64? = nil, pageSize: Int = 10_000) {
                self.manifestBytes = manifestBytes
                self.uploadBytes = uploadBytes
                self.pageSize = pageSize
            }
        }

        /// The address to listen on (`127.0.0.1` by default: loopback only).
        public var host: String
        /// The port to listen on; 0 (the default) picks a free one, which ``EmbeddedRegistry/url`` reports.
        public var port: Int
        /// Where content lives (memory by default).
        public var storage: Storage
        /// Who may use the registry (everyone by default).
        public var authentication: Authentication
        /// When true, every request that would change content is refused with 405 `UNSUPPORTED`.
        public var readOnly: Bool
        /// Bounds on manifests, uploads and pages.
        public var limits: Limits
        /// When set, upload sessions announce it as `OCI-Chunk-Min-Length`: the smallest chunk (but the last)
        /// a client should send.
        public var minimumChunkLength: Int?
        /// When true, a manifest may reference layers and platform manifests that were never pushed (a "sparse"
        /// manifest, as mirrors of selected platforms produce). By default they are refused with
        /// `MANIFEST_BLOB_UNKNOWN`, which catches clients that push a manifest before its content.
        public var allowsSparseManifests = false
        /// Called once per request after the response was sent (also for refused requests).
        public var requestLog: (@Sendable (RequestRecord) -> Void)?

        /// Creates a configuration.
        /// - Parameters:
        ///   - host: The address to listen on.
        ///   - port: The port, 0 for a free one.
        ///   - storage: Where content lives.
        ///   - authentication: Who may use the registry.
        ///   - readOnly: Whether content is frozen.
        ///   - limits: Bounds on manifests, uploads and pages.
        ///   - minimumChunkLength: The `OCI-Chunk-Min-Length` to announce, if any.
        ///   - requestLog: Called once per request.
        public init(
            host: String = "127.0.0.1",
            port: Int = 0,
            storage: Storage = .memory,
            authentication: Authentication = .none,
            readOnly: Bool = false,
            limits: Limits = Limits(),
            minimumChunkLength: Int? = nil,
            requestLog: (@Sendable (RequestRecord) -> Void)? = nil
        ) {
            self.host = host
            self.port = port
            self.storage = storage
            self.authentication = authentication
            self.readOnly = readOnly
            self.limits = limits
            self.minimumChunkLength = minimumChunkLength
            self.requestLog = requestLog
        }
    }

    /// One request as the registry saw it, for logs.
    public struct RequestRecord: Sendable, CustomStringConvertible {
        /// The HTTP method.
        public var method: String
        /// The path and query as requested.
        public var target: String
        /// The status sent.
        public var status: Int
        /// Body bytes received.
        public var bytesIn: Int64
        /// Body bytes sent.
        public var bytesOut: Int64
        /// Time from the request head to the end of the response, in seconds.
        public var duration: Double
        /// The client's address.
        public var remote: String
        /// The user that authenticated, if any.
        public var user: String?

        /// One line: `remote user "METHOD target" status in/out duration`.
        public var description: String {
            let ms = (duration * 1000).rounded() / 1000
            return "\(remote) \(user ?? "-") \"\(method) \(target)\" \(status) in=\(bytesIn) out=\(bytesOut) \(ms)s"
        }
    }
}
