import DockyardManifests
import DockyardReferences
import Testing

@Suite("Platform")
struct PlatformTests {
    /// Specifier → normalised `os/arch[/variant]`, following containerd's `platforms.Parse` + `Normalize`.
    static let parsing: [(String, String)] = [
        ("linux/amd64", "linux/amd64"),
        ("linux/x86_64", "linux/amd64"),
        ("linux/x86-64", "linux/amd64"),
        ("linux/amd64/v1", "linux/amd64"),
        ("linux/amd64/v3", "linux/amd64/v3"),
        ("linux/aarch64", "linux/arm64"),
        ("linux/arm64", "linux/arm64"),
        ("linux/arm64/v8", "linux/arm64"),
        ("linux/arm64/8", "linux/arm64"),
        ("linux/arm64/v8.0", "linux/arm64"),
        ("linux/arm64/9", "linux/arm64/v9"),
        ("linux/arm64/v8.2", "linux/arm64/v8.2"),
        ("linux/armhf", "linux/arm/v7"),
        ("linux/armel", "linux/arm/v6"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/arm/7", "linux/arm/v7"),
        ("linux/arm/6", "linux/arm/v6"),
        ("linux/arm/v5", "linux/arm/v5"),
        ("linux/arm/8", "linux/arm/v8"),
        ("linux/i386", "linux/386"),
        ("linux/386", "linux/386"),
        ("LINUX/AMD64", "linux/amd64"),
        ("macos/arm64", "darwin/arm64"),
        ("windows/amd64", "windows/amd64"),
        ("linux/ppc64le", "linux/ppc64le"),
        ("linux/s390x", "linux/s390x"),
        ("linux/riscv64", "linux/riscv64"),
        ("freebsd/unknownarch", "freebsd/unknownarch"),
    ]

    @Test("specifiers parse and normalise like containerd", arguments: parsing)
    func parse(_ specifier: String, _ expected: String) throws {
        #expect(try Platform(parsing: specifier).description == expected)
    }

    @Test("a bare OS takes the host architecture; a bare architecture takes the host OS")
    func singleComponent() throws {
        let host = Platform.current
        #expect(try Platform(parsing: "linux").architecture == host.architecture)
        #expect(try Platform(parsing: "linux").os == "linux")
        #expect(try Platform(parsing: "arm64").description == host.os + "/arm64")
        #expect(try Platform(parsing: "aarch64").description == host.os + "/arm64")
        #expect(try Platform(parsing: "armhf").description == host.os + "/arm/v7")
    }

    @Test("an OS version in parentheses is kept")
    func osVersion() throws {
        let platform = try Platform(parsing: "windows(10.0.17763.1039)/amd64")
        #expect(platform.os == "windows")
        #expect(platform.osVersion == "10.0.17763.1039")
    }

    @Test("malformed specifiers are refused", arguments: [
        "", "/", "linux/", "/amd64", "linux/amd64/v7/extra", "linux/*", "linux amd64", "linux/amd64 ",
        "notanos", "lin ux", "linux/am\u{E9}d64", "windows(/amd64",
    ])
    func invalid(_ specifier: String) {
        let error = #expect(throws: ManifestError.self) { try Platform(parsing: specifier) }
        #expect(error?.code == .invalidPlatform)
    }

    @Test("the host platform is normalised")
    func current() throws {
        let host = Platform.current
        #expect(host == host.normalized)
        #expect(!host.os.isEmpty && !host.architecture.isEmpty)
        #expect(host.canRun(host))
        // Pin the answer for the machines the tests run on, so that a wrong mapping cannot pass unnoticed.
        #if os(Linux) && arch(x86_64)
        #expect(host == (try Platform(parsing: "linux/amd64")))
        #elseif os(Linux) && arch(arm64)
        #expect(host == (try Platform(parsing: "linux/arm64")))
        #elseif os(macOS) && arch(arm64)
        #expect(host == (try Platform(parsing: "darwin/arm64")))
        #endif
    }

    /// (host, image platform, can run, rank)
    static let matching: [(String, String, Int?)] = [
        ("linux/amd64", "linux/amd64", 0),
        ("linux/amd64", "linux/386", 1),
        ("linux/amd64", "linux/arm64", nil),
        ("linux/amd64", "windows/amd64", nil),
        ("linux/amd64/v3", "linux/amd64/v3", 0),
        ("linux/amd64/v3", "linux/amd64/v2", 1),
        ("linux/amd64/v3", "linux/amd64", 2),
        ("linux/amd64/v3", "linux/386", 3),
        ("linux/amd64", "linux/amd64/v2", nil),
        ("linux/arm64", "linux/arm64/v8", 0),
        ("linux/arm64/v8", "linux/arm64", 0),
        ("linux/arm64", "linux/aarch64", 0),
        ("linux/arm64", "linux/arm/v8", 1),
        ("linux/arm64", "linux/arm/v7", 2),
        ("linux/arm64", "linux/arm/v6", 3),
        ("linux/arm64", "linux/arm/v5", 4),
        ("linux/arm64", "linux/arm64/v9", nil),
        ("linux/arm64/v8.2", "linux/arm64/v8.1", 1),
        ("linux/arm64/v8.2", "linux/arm64", 2),
        ("linux/arm64/v9", "linux/arm64/v8.5", 1),
        ("linux/arm64/v9", "linux/arm64", 6),
        ("linux/arm/v7", "linux/arm/v7", 0),
        ("linux/arm/v7", "linux/arm", 0),
        ("linux/arm/v7", "linux/arm/v6", 1),
        ("linux/arm/v7", "linux/arm/v5", 2),
        ("linux/arm/v6", "linux/arm/v7", nil),
        ("linux/arm/v7", "linux/arm64", nil),
        ("linux/s390x", "linux/s390x", 0),
        ("linux/ppc64le", "linux/ppc64", nil),
    ]

    @Test("compatibility follows containerd's platforms.Only", arguments: matching)
    func compatibility(_ host: String, _ image: String, _ rank: Int?) throws {
        let hostPlatform = try Platform(parsing: host)
        let imagePlatform = try Platform(parsing: image)
        #expect(hostPlatform.compatibilityRank(of: imagePlatform) == rank)
        #expect(hostPlatform.canRun(imagePlatform) == (rank != nil))
    }

    @Test("platform matching normalises both sides, even when not parsed")
    func rawPlatforms() {
        let host = Platform(os: "Linux", architecture: "aarch64")
        #expect(host.canRun(Platform(os: "linux", architecture: "arm64", variant: "v8")))
        #expect(host.canRun(Platform(os: "linux", architecture: "armhf")))
        let windows = Platform(os: "windows", architecture: "amd64", osVersion: "10.0.17763.1039")
        #expect(windows.canRun(Platform(os: "windows", architecture: "amd64", osVersion: "10.0.17763.2000")))
        #expect(!windows.canRun(Platform(os: "windows", architecture: "amd64", osVersion: "10.0.20348.1")))
        #expect(windows.canRun(Platform(os: "windows", architecture: "amd64")))
    }

    static func entry(_ name: String, _ platform: Platform?, mediaType: MediaType = .ociManifest, annotations: [String: String]? = nil) -> Descriptor {
        Descriptor(mediaType: mediaType, digest: ContentDigest.sha256(of: Array(name.utf8)), size: 100,
                   annotations: annotations, platform: platform)
    }

    @Test("an index picks the best entry for a platform")
    func bestMatch() throws {
        let armV6 = Self.entry("arm-v6", Platform(os: "linux", architecture: "arm", variant: "v6"))
        let armV7 = Self.entry("arm-v7", Platform(os: "linux", architecture: "arm", variant: "v7"))
        let arm64 = Self.entry("arm64", Platform(os: "linux", architecture: "arm64", variant: "v8"))
        let amd64 = Self.entry("amd64", Platform(os: "linux", architecture: "amd64"))
        let i386 = Self.entry("386", Platform(os: "linux", architecture: "386"))
        let attestation = Self.entry(
            "att", Platform(os: "unknown", architecture: "unknown"),
            annotations: ["vnd.docker.reference.type": "attestation-manifest"])
        let index = ImageIndex(manifests: [attestation, armV6, i386, armV7, amd64, arm64])

        #expect(index.manifest(for: try Platform(parsing: "linux/amd64")) == amd64)
        #expect(index.manifest(for: try Platform(parsing: "linux/arm64")) == arm64)
        #expect(index.manifest(for: try Platform(parsing: "linux/arm/v7")) == armV7)
        #expect(index.manifest(for: try Platform(parsing: "linux/arm/v6")) == armV6)
        #expect(index.manifest(for: try Platform(parsing: "linux/arm/v5")) == nil)
        #expect(index.manifest(for: try Platform(parsing: "linux/s390x")) == nil)
        #expect(index.manifests(for: try Platform(parsing: "linux/arm/v7")) == [armV7, armV6])
        #expect(index.manifests(for: try Platform(parsing: "linux/amd64")) == [amd64, i386])

        // Without arm64 and arm/v7 entries, an arm64 host falls back to 32-bit arm, v6.
        let older = ImageIndex(manifests: [armV6, amd64])
        #expect(older.manifest(for: try Platform(parsing: "linux/arm64")) == armV6)

        // An entry without a platform is a last resort, and only when it is a manifest.
        let bare = Self.entry("bare", nil)
        let blob = Self.entry("blob", nil, mediaType: .ociLayerGzip)
        let withBare = ImageIndex(manifests: [blob, bare, amd64])
        #expect(withBare.manifests(for: try Platform(parsing: "linux/amd64")) == [amd64, bare])
        #expect(withBare.manifest(for: try Platform(parsing: "linux/arm64")) == bare)
    }

    @Test("platforms encode with the OCI wire names")
    func coding() throws {
        let platform = Platform(os: "windows", architecture: "amd64", osVersion: "10.0.17763", osFeatures: ["win32k"])
        let document = try ManifestDocument(encoding: ImageIndex(manifests: [Self.entry("w", platform)]))
        let text = String(decoding: document.bytes, as: UTF8.self)
        #expect(text.contains(#""os.version":"10.0.17763""#))
        #expect(text.contains(#""os.features":["win32k"]"#))
        #expect(document.index?.manifests.first?.platform == platform)
    }
}
