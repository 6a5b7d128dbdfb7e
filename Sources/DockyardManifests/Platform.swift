/// The platform an image runs on: operating system, CPU architecture and variant (image-spec `image-index.md`).
///
/// ``init(parsing:)`` reads the `os/arch[/variant]` specifiers users type (`linux/amd64`, `linux/arm/v7`,
/// `arm64`) and normalises them as containerd's `platforms` package does, so `aarch64`, `x86_64` or `armhf` mean
/// what Docker means by them. ``ImageIndex/manifest(for:)`` picks the best entry of an index for a platform.
///
/// ```swift
/// let platform = try Platform(parsing: "linux/aarch64")   // linux/arm64
/// let descriptor = index.manifest(for: platform)
/// ```
public struct Platform: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The operating system, as Go's `GOOS` names it (`linux`, `windows`, `darwin`, …).
    public var os: String
    /// The CPU architecture, as Go's `GOARCH` names it (`amd64`, `arm64`, `arm`, `386`, `ppc64le`, `s390x`, …).
    public var architecture: String
    /// The CPU variant (`v6`, `v7` for `arm`; `v8`, `v9` for `arm64`; `v2`, `v3` for `amd64`), when it matters.
    public var variant: String?
    /// The operating system version (used by Windows images, for example `10.0.17763.1039`).
    public var osVersion: String?
    /// Operating system features the image requires (for example `win32k`).
    public var osFeatures: [String]?
    /// CPU features (a field of Docker manifest lists, reserved by the OCI spec).
    public var features: [String]?

    /// Creates a platform as given, without normalising it.
    ///
    /// - Parameters:
    ///   - os: The operating system.
    ///   - architecture: The CPU architecture.
    ///   - variant: The CPU variant.
    ///   - osVersion: The operating system version.
    ///   - osFeatures: Required operating system features.
    public init(os: String, architecture: String, variant: String? = nil, osVersion: String? = nil, osFeatures: [String]? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
        self.osVersion = osVersion
        self.osFeatures = osFeatures
    }

    private enum CodingKeys: String, CodingKey {
        case os, architecture, variant, features
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    /// `os/architecture[/variant]`, for example `linux/arm/v7`.
    public var description: String {
        var text = os + "/" + architecture
        if let variant, !variant.isEmpty { text += "/" + variant }
        return text
    }

    /// Parses a platform specifier and normalises it.
    ///
    /// Accepted forms (as containerd's `platforms.Parse`): `os/arch/variant`, `os/arch`, a bare operating system
    /// (`linux`: the host's architecture is assumed) or a bare architecture (`arm64`: the host's OS is assumed).
    /// The OS may carry a version in parentheses, `windows(10.0.17763)/amd64`. Components are letters, digits,
    /// `_`, `-` and `.`; the result is ``normalized``.
    ///
    /// - Parameter specifier: The text to parse.
    /// - Throws: ``ManifestError`` with code `invalidPlatform` when the text is empty, has more than three
    ///   components, contains other characters, or a single component is neither a known OS nor a known architecture.
    public init(parsing specifier: String) throws(ManifestError) {
        func invalid(_ why: String) -> ManifestError {
            ManifestError(.invalidPlatform, "invalid platform \"\(specifier)\": \(why); expected os/arch[/variant], for example linux/arm64")
        }
        guard !specifier.isEmpty else { throw invalid("it is empty") }
        guard !specifier.contains("*") else { throw invalid("wildcards are not supported") }
        var parts = specifier.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 3 else { throw invalid("it has more than three components") }
        var osVersion: String?
        if let open = parts[0].firstIndex(of: "("), parts[0].hasSuffix(")") {
            let version = parts[0][parts[0].index(after: open)..<parts[0].index(before: parts[0].endIndex)]
            guard !version.isEmpty, !version.contains("(") else { throw invalid("the OS version in parentheses is malformed") }
            osVersion = String(version)
            parts[0] = String(parts[0][..<open])
        }
        for part in parts where !Platform.isSpecifierComponent(part) {
            throw invalid(part.isEmpty ? "a component is empty" : "\"\(part)\" contains characters other than letters, digits, '_', '-' and '.'")
        }
        switch parts.count {
        case 1:
            let os = Platform.normalizeOS(parts[0])
            if Platform.knownOperatingSystems.contains(os) {
                let host = Platform.current
                self.init(os: os, architecture: host.architecture, variant: host.variant, osVersion: osVersion)
            } else {
                let (architecture, variant) = Platform.normalizeArchitecture(parts[0], variant: "")
                guard Platform.knownArchitectures.contains(architecture), osVersion == nil else {
                    throw invalid("\"\(parts[0])\" is neither a known operating system nor a known architecture")
                }
                self.init(os: Platform.current.os, architecture: architecture, variant: variant)
            }
        case 2:
            self.init(os: parts[0], architecture: parts[1], osVersion: osVersion)
        default:
            self.init(os: parts[0], architecture: parts[1], variant: parts[2], osVersion: osVersion)
        }
        self = normalized
    }

    private static func isSpecifierComponent(_ part: String) -> Bool {
        !part.isEmpty && part.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
    }

    /// The platform in containerd's normal form: lowercase names, `macos`→`darwin`, `x86_64`/`x86-64`→`amd64`,
    /// `aarch64`→`arm64`, `i386`→`386`, `armhf`→`arm/v7`, `armel`→`arm/v6`, a bare `arm` → `arm/v7`,
    /// `arm/5|6|7|8` → `arm/vN`, and the default variants dropped (`arm64/v8` → `arm64`, `amd64/v1` → `amd64`;
    /// `arm64/9` → `arm64/v9`). An empty OS becomes the host's.
    public var normalized: Platform {
        var copy = self
        copy.os = Platform.normalizeOS(os)
        let (architecture, variant) = Platform.normalizeArchitecture(architecture, variant: self.variant ?? "")
        copy.architecture = architecture
        copy.variant = variant.isEmpty ? nil : variant
        return copy
    }

    /// The operating system names Go knows (`go/build/syslist.go`), as containerd's `isKnownOS`.
    static let knownOperatingSystems: Set<String> = [
        "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "nacl", "netbsd",
        "openbsd", "plan9", "solaris", "wasip1", "windows", "zos",
    ]

    /// The architecture names Go knows, as containerd's `isKnownArch`.
    static let knownArchitectures: Set<String> = [
        "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "ppc64", "ppc64le", "loong64", "mips", "mipsle",
        "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64",
        "wasm",
    ]

    static func normalizeOS(_ os: String) -> String {
        if os.isEmpty { return Platform.current.os }
        let lower = os.lowercased()
        return lower == "macos" ? "darwin" : lower
    }

    /// containerd `normalizeArch`.
    static func normalizeArchitecture(_ architecture: String, variant: String) -> (String, String) {
        let architecture = architecture.lowercased()
        var variant = variant.lowercased()
        switch architecture {
        case "i386":
            return ("386", "")
        case "x86_64", "x86-64", "amd64":
            return ("amd64", variant == "v1" ? "" : variant)
        case "aarch64", "arm64":
            switch variant {
            case "8", "v8", "v8.0": variant = ""
            case "9", "9.0", "v9.0": variant = "v9"
            default: break
            }
            return ("arm64", variant)
        case "armhf":
            return ("arm", "v7")
        case "armel":
            return ("arm", "v6")
        case "arm":
            switch variant {
            case "", "7": variant = "v7"
            case "5", "6", "8": variant = "v" + variant
            default: break
            }
            return ("arm", variant)
        default:
            return (architecture, variant)
        }
    }

    /// The platform this program is running on, normalised (for example `linux/amd64` or `darwin/arm64`).
    public static var current: Platform {
        #if os(Linux)
        let os = "linux"
        #elseif os(macOS) || os(iOS) || os(tvOS) || os(watchOS) || os(visionOS)
        let os = "darwin"
        #elseif os(Windows)
        let os = "windows"
        #elseif os(FreeBSD)
        let os = "freebsd"
        #elseif os(OpenBSD)
        let os = "openbsd"
        #elseif os(Android)
        let os = "android"
        #else
        let os = "linux"
        #endif
        #if arch(x86_64)
        return Platform(os: os, architecture: "amd64")
        #elseif arch(arm64)
        return Platform(os: os, architecture: "arm64")
        #elseif arch(arm)
        return Platform(os: os, architecture: "arm", variant: "v7")
        #elseif arch(i386)
        return Platform(os: os, architecture: "386")
        #elseif arch(powerpc64le)
        return Platform(os: os, architecture: "ppc64le")
        #elseif arch(powerpc64)
        return Platform(os: os, architecture: "ppc64")
        #elseif arch(s390x)
        return Platform(os: os, architecture: "s390x")
        #elseif arch(riscv64)
        return Platform(os: os, architecture: "riscv64")
        #elseif arch(wasm32)
        return Platform(os: os, architecture: "wasm")
        #else
        return Platform(os: os, architecture: "amd64")
        #endif
    }
}
