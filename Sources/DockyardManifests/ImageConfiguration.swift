import DockyardReferences

/// An image configuration: the platform, the runtime defaults and the layer history of an image
/// (image-spec `config.md`; the same structure as Docker's `application/vnd.docker.container.image.v1+json`).
public struct ImageConfiguration: Hashable, Sendable, Codable {
    /// When the image was created, as an RFC 3339 timestamp (kept as written).
    public var created: String?
    /// Who created the image.
    public var author: String?
    /// The CPU architecture the image's binaries are built for.
    public var architecture: String
    /// The operating system the image is built for.
    public var os: String
    /// The operating system version (Windows).
    public var osVersion: String?
    /// Operating system features the image requires.
    public var osFeatures: [String]?
    /// The CPU variant.
    public var variant: String?
    /// The defaults a container of this image runs with.
    public var config: Config?
    /// The layers' uncompressed digests.
    public var rootfs: RootFS
    /// How each layer was made.
    public var history: [History]?

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - platform: The platform the image is for.
    ///   - rootfs: The layers' uncompressed digests.
    ///   - config: The container defaults.
    ///   - history: How each layer was made.
    ///   - created: When the image was created (RFC 3339).
    ///   - author: Who created it.
    public init(
        platform: Platform,
        rootfs: RootFS,
        config: Config? = nil,
        history: [History]? = nil,
        created: String? = nil,
        author: String? = nil
    ) {
        self.architecture = platform.architecture
        self.os = platform.os
        self.variant = platform.variant
        self.osVersion = platform.osVersion
        self.osFeatures = platform.osFeatures
        self.rootfs = rootfs
        self.config = config
        self.history = history
        self.created = created
        self.author = author
    }

    /// The platform the image is for.
    public var platform: Platform {
        Platform(os: os, architecture: architecture, variant: variant, osVersion: osVersion, osFeatures: osFeatures)
    }

    private enum CodingKeys: String, CodingKey {
        case created, author, architecture, os, variant, config, rootfs, history
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    /// The execution defaults of a container (the `config` object).
    public struct Config: Hashable, Sendable, Codable {
        /// The user (and group) to run as: `name`, `uid`, `name:group`, `uid:gid`, ….
        public var user: String?
        /// Ports to expose, such as `8080/tcp`.
        public var exposedPorts: Set<String>?
        /// Environment variables, `NAME=value`.
        public var env: [String]?
        /// The program to run.
        public var entrypoint: [String]?
        /// Arguments (or the program, when there is no entrypoint).
        public var cmd: [String]?
        /// Directories that are volumes.
        public var volumes: Set<String>?
        /// The working directory.
        public var workingDir: String?
        /// Arbitrary metadata.
        public var labels: [String: String]?
        /// The signal that stops the container, such as `SIGTERM`.
        public var stopSignal: String?
        /// Whether `cmd` is already escaped (Windows).
        public var argsEscaped: Bool?

        /// Creates container defaults.
        ///
        /// - Parameters:
        ///   - user: The user.
        ///   - exposedPorts: Ports to expose.
        ///   - env: Environment variables.
        ///   - entrypoint: The program.
        ///   - cmd: Arguments.
        ///   - volumes: Volume directories.
        ///   - workingDir: The working directory.
        ///   - labels: Metadata.
        ///   - stopSignal: The stop signal.
        public init(
            user: String? = nil, exposedPorts: Set<String>? = nil, env: [String]? = nil, entrypoint: [String]? = nil,
            cmd: [String]? = nil, volumes: Set<String>? = nil, workingDir: String? = nil, labels: [String: String]? = nil,
            stopSignal: String? = nil
        ) {
            self.user = user
            self.exposedPorts = exposedPorts
            self.env = env
            self.entrypoint = entrypoint
            self.cmd = cmd
            self.volumes = volumes
            self.workingDir = workingDir
            self.labels = labels
            self.stopSignal = stopSignal
        }

        private enum CodingKeys: String, CodingKey {
            case user = "User", exposedPorts = "ExposedPorts", env = "Env", entrypoint = "Entrypoint", cmd = "Cmd"
            case volumes = "Volumes", workingDir = "WorkingDir", labels = "Labels", stopSignal = "StopSignal"
            case argsEscaped = "ArgsEscaped"
        }

        private struct EmptyObject: Codable {}

        /// Decodes the `config` object; `ExposedPorts` and `Volumes` are JSON objects whose keys are the set.
        ///
        /// - Parameter decoder: The decoder.
        /// - Throws: `DecodingError` when a field has the wrong type.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            user = try container.decodeIfPresent(String.self, forKey: .user)
            exposedPorts = try container.decodeIfPresent([String: EmptyObject].self, forKey: .exposedPorts).map { Set($0.keys) }
            env = try container.decodeIfPresent([String].self, forKey: .env)
            entrypoint = try container.decodeIfPresent([String].self, forKey: .entrypoint)
            cmd = try container.decodeIfPresent([String].self, forKey: .cmd)
            volumes = try container.decodeIfPresent([String: EmptyObject].self, forKey: .volumes).map { Set($0.keys) }
            workingDir = try container.decodeIfPresent(String.self, forKey: .workingDir)
            labels = try container.decodeIfPresent([String: String].self, forKey: .labels)
            stopSignal = try container.decodeIfPresent(String.self, forKey: .stopSignal)
            argsEscaped = try container.decodeIfPresent(Bool.self, forKey: .argsEscaped)
        }

        /// Encodes the `config` object, omitting absent fields.
        ///
        /// - Parameter encoder: The encoder.
        /// - Throws: `EncodingError`, or another error of the encoder.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(user, forKey: .user)
            try container.encodeIfPresent(
                exposedPorts.map { Dictionary(uniqueKeysWithValues: $0.map { ($0, EmptyObject()) }) }, forKey: .exposedPorts)
            try container.encodeIfPresent(env, forKey: .env)
            try container.encodeIfPresent(entrypoint, forKey: .entrypoint)
            try container.encodeIfPresent(cmd, forKey: .cmd)
            try container.encodeIfPresent(
                volumes.map { Dictionary(uniqueKeysWithValues: $0.map { ($0, EmptyObject()) }) }, forKey: .volumes)
            try container.encodeIfPresent(workingDir, forKey: .workingDir)
            try container.encodeIfPresent(labels, forKey: .labels)
            try container.encodeIfPresent(stopSignal, forKey: .stopSignal)
            try container.encodeIfPresent(argsEscaped, forKey: .argsEscaped)
        }
    }

    /// The layers of the root filesystem, by uncompressed digest (`rootfs`).
    public struct RootFS: Hashable, Sendable, Codable {
        /// Always `layers`.
        public var type: String
        /// The digest of each layer's uncompressed tar, base layer first.
        public var diffIDs: [ContentDigest]

        /// Creates a root filesystem description.
        ///
        /// - Parameter diffIDs: The uncompressed layer digests, base layer first.
        public init(diffIDs: [ContentDigest]) {
            self.type = "layers"
            self.diffIDs = diffIDs
        }

        private enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }
    }

    /// One step of the image's history.
    public struct History: Hashable, Sendable, Codable {
        /// When the step ran (RFC 3339).
        public var created: String?
        /// Who ran it.
        public var author: String?
        /// The command that made it.
        public var createdBy: String?
        /// A comment.
        public var comment: String?
        /// Whether the step made no layer.
        public var emptyLayer: Bool?

        /// Creates a history entry.
        ///
        /// - Parameters:
        ///   - created: When the step ran.
        ///   - createdBy: The command.
        ///   - comment: A comment.
        ///   - emptyLayer: Whether the step made no layer.
        public init(created: String? = nil, createdBy: String? = nil, comment: String? = nil, emptyLayer: Bool? = nil) {
            self.created = created
            self.createdBy = createdBy
            self.comment = comment
            self.emptyLayer = emptyLayer
        }

        private enum CodingKeys: String, CodingKey {
            case created, author, comment
            case createdBy = "created_by"
            case emptyLayer = "empty_layer"
        }
    }
}
