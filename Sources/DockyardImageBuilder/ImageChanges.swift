import DockyardManifests
import DockyardReferences
import Foundation

/// Changes to an image's configuration and manifest: what `docker build` instructions such as `ENTRYPOINT`,
/// `ENV` or `LABEL` would set. Fields left `nil` (or empty) keep the base image's values.
///
/// ```swift
/// var changes = ImageChanges()
/// changes.entrypoint = ["/usr/local/bin/app"]
/// changes.environment = ["PORT": "8080"]
/// changes.labels = ["org.opencontainers.image.source": "https://github.com/acme/app"]
/// ```
public struct ImageChanges: Sendable, Hashable {
    /// The program to run (`Entrypoint`); an empty array clears it.
    public var entrypoint: [String]?
    /// The arguments, or the program without an entrypoint (`Cmd`); an empty array clears it.
    public var cmd: [String]?
    /// Variables to set (`Env`), replacing a variable of the same name; applied in name order.
    public var environment: [String: String]
    /// The working directory (`WorkingDir`).
    public var workingDirectory: String?
    /// The user to run as (`User`), such as `1000:1000` or `nobody`.
    public var user: String?
    /// Labels to set (`Labels`), replacing labels of the same name.
    public var labels: [String: String]
    /// Ports to expose (`ExposedPorts`), such as `8080/tcp`; a bare number means TCP.
    public var exposedPorts: [String]
    /// The signal that stops the container (`StopSignal`), such as `SIGTERM`.
    public var stopSignal: String?
    /// Annotations to set on the manifest (and the index, for several platforms).
    public var annotations: [String: String]
    /// The image's `created` time; by default the layers' modification time
    /// (``LayerOptions/defaultModificationTime``: `SOURCE_DATE_EPOCH` or 0), so that builds are reproducible.
    public var created: Date?
    /// The image's `author`.
    public var author: String?
    /// The `created_by` of the history entries added for new layers (or for a configuration-only change).
    public var createdBy: String

    /// Creates changes that keep everything.
    public init() {
        environment = [:]
        labels = [:]
        exposedPorts = []
        annotations = [:]
        createdBy = "dockyard"
    }

    /// Whether these changes touch the `config` object (container defaults).
    var changesDefaults: Bool {
        entrypoint != nil || cmd != nil || !environment.isEmpty || workingDirectory != nil || user != nil
            || !labels.isEmpty || !exposedPorts.isEmpty || stopSignal != nil
    }

    /// The `created` timestamp written: RFC 3339 in UTC, whole seconds.
    var createdTimestamp: String {
        let seconds = created.map { Int64($0.timeIntervalSince1970.rounded(.down)) } ?? LayerOptions.defaultModificationTime
        return Self.rfc3339(seconds)
    }

    static func rfc3339(_ seconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}

/// Applies ``ImageChanges`` and new layers to a configuration's JSON, keeping every field it does not change.
public enum ConfigEditor {
    /// The new configuration's bytes: `rootfs.diff_ids` extended, one `history` entry per new layer (or one
    /// empty-layer entry for a configuration-only change), `created`, and the container defaults changed.
    ///
    /// The output is deterministic: keys sorted, no whitespace; the same inputs give the same bytes.
    ///
    /// - Parameters:
    ///   - base: The base configuration's bytes.
    ///   - diffIDs: The diff IDs of the layers added, in order.
    ///   - changes: The changes.
    /// - Returns: The new configuration's bytes.
    /// - Throws: ``LayerError`` with code ``LayerError/Code/invalidValue`` when `base` is not a JSON object.
    public static func apply(to base: [UInt8], adding diffIDs: [ContentDigest], changes: ImageChanges) throws -> [UInt8] {
        guard case .object(var root) = try? JSONValue.decode(base) else {
            throw LayerError(.invalidValue, "the base image's configuration is not a JSON object")
        }
        let created = changes.createdTimestamp
        var rootfs = root["rootfs"]?.object ?? ["type": .string("layers")]
        var ids = rootfs["diff_ids"]?.array ?? []
        ids += diffIDs.map { .string($0.description) }
        rootfs["diff_ids"] = .array(ids)
        if rootfs["type"] == nil { rootfs["type"] = .string("layers") }
        root["rootfs"] = .object(rootfs)

        var history = root["history"]?.array ?? []
        if diffIDs.isEmpty {
            history.append(.object([
                "created": .string(created), "created_by": .string(changes.createdBy), "empty_layer": .bool(true),
            ]))
        } else {
            for _ in diffIDs {
                history.append(.object(["created": .string(created), "created_by": .string(changes.createdBy)]))
            }
        }
        root["history"] = .array(history)
        root["created"] = .string(created)
        if let author = changes.author { root["author"] = .string(author) }

        if changes.changesDefaults {
            var config = root["config"]?.object ?? [:]
            if let entrypoint = changes.entrypoint {
                config["Entrypoint"] = entrypoint.isEmpty ? .null : .array(entrypoint.map(JSONValue.string))
            }
            if let cmd = changes.cmd {
                config["Cmd"] = cmd.isEmpty ? .null : .array(cmd.map(JSONValue.string))
            }
            if !changes.environment.isEmpty {
                var env = (config["Env"]?.array ?? []).compactMap(\.string)
                for name in changes.environment.keys.sorted() {
                    let value = changes.environment[name] ?? ""
                    let entry = "\(name)=\(value)"
                    if let index = env.firstIndex(where: { $0 == name || $0.hasPrefix(name + "=") }) {
                        env[index] = entry
                    } else {
                        env.append(entry)
                    }
                }
                config["Env"] = .array(env.map(JSONValue.string))
            }
            if let workingDirectory = changes.workingDirectory { config["WorkingDir"] = .string(workingDirectory) }
            if let user = changes.user { config["User"] = .string(user) }
            if let stopSignal = changes.stopSignal { config["StopSignal"] = .string(stopSignal) }
            if !changes.labels.isEmpty {
                var labels = config["Labels"]?.object ?? [:]
                for (key, value) in changes.labels { labels[key] = .string(value) }
                config["Labels"] = .object(labels)
            }
            if !changes.exposedPorts.isEmpty {
                var ports = config["ExposedPorts"]?.object ?? [:]
                for port in changes.exposedPorts {
                    ports[port.contains("/") ? port : port + "/tcp"] = .object([:])
                }
                config["ExposedPorts"] = .object(ports)
            }
            root["config"] = .object(config)
        }
        do {
            return try JSONValue.object(root).encoded()
        } catch {
            throw LayerError(.invalidValue, "the new configuration could not be encoded: \(error)")
        }
    }

    /// A minimal configuration for an image built from nothing (`scratch`): the platform and empty layers.
    ///
    /// - Parameter platform: The platform the image is for.
    /// - Returns: The configuration's bytes.
    public static func scratch(platform: Platform) -> [UInt8] {
        var root: [String: JSONValue] = [
            "architecture": .string(platform.architecture), "os": .string(platform.os),
            "rootfs": .object(["type": .string("layers"), "diff_ids": .array([])]),
            "config": .object([:]),
        ]
        if let variant = platform.variant { root["variant"] = .string(variant) }
        return (try? JSONValue.object(root).encoded()) ?? Array("{}".utf8)
    }
}
