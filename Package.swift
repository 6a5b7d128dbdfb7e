// swift-tools-version:6.0
//
// Dockyard — a Swift SDK for Docker Hub and every OCI / Docker Registry v2 registry.
//
// Modules, lowest first (dependencies point down):
//   DockyardReferences    names, tags, digests (swift-crypto only)
//   DockyardManifests     manifests, indexes, configs, platforms
//   DockyardTransport     the SDK's streaming HTTP transport protocol, request/response types, errors,
//                         retry, redirect and rate-limit policies (no AsyncHTTPClient, no NIOSSL)
//   DockyardHTTPClient    AsyncHTTPTransport: the HTTPTransport implementation on AsyncHTTPClient and NIOSSL
//   DockyardAuth          config.json, credential helpers, challenges, token service, token cache (uses
//                         Manifests' package-wide JSONValue)
//   DockyardBlobTransfer  streaming, verified, resumable blob download and upload
//   DockyardHubAPI        the Docker Hub REST API
//   Dockyard              umbrella: the registry client and image operations, the default transport of both
//                         clients; re-exports the rest
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioHTTP1: Target.Dependency = .product(name: "NIOHTTP1", package: "swift-nio")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let ahc: Target.Dependency = .product(name: "AsyncHTTPClient", package: "async-http-client")

let package = Package(
    name: "Dockyard",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "DockyardReferences", targets: ["DockyardReferences"]),
        .library(name: "DockyardManifests", targets: ["DockyardManifests"]),
        .library(name: "DockyardTransport", targets: ["DockyardTransport"]),
        .library(name: "DockyardHTTPClient", targets: ["DockyardHTTPClient"]),
        .library(name: "DockyardAuth", targets: ["DockyardAuth"]),
        .library(name: "DockyardBlobTransfer", targets: ["DockyardBlobTransfer"]),
        .library(name: "DockyardHubAPI", targets: ["DockyardHubAPI"]),
        .library(name: "DockyardImageBuilder", targets: ["DockyardImageBuilder"]),
        .library(name: "Dockyard", targets: ["Dockyard"]),
        .library(name: "DockyardRegistryServer", targets: ["DockyardRegistryServer"]),
        .executable(name: "dockyard", targets: ["dockyard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.100.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    ],
    targets: [
        .target(name: "DockyardReferences", dependencies: [crypto], swiftSettings: swiftSettings),
        .target(name: "DockyardManifests", dependencies: ["DockyardReferences"], swiftSettings: swiftSettings),
        .target(name: "DockyardTransport", dependencies: [nioCore, nioHTTP1, logging], swiftSettings: swiftSettings),
        .target(
            name: "DockyardHTTPClient",
            dependencies: [
                "DockyardTransport", nioCore, nioHTTP1, logging, ahc,
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DockyardAuth",
            dependencies: ["DockyardReferences", "DockyardManifests", "DockyardTransport", nioCore, nioHTTP1, logging],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DockyardBlobTransfer",
            dependencies: ["DockyardReferences", "DockyardTransport", crypto, nioCore, nioHTTP1, logging],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DockyardHubAPI",
            dependencies: ["DockyardReferences", "DockyardTransport", "DockyardAuth", nioCore, nioHTTP1, logging,
                           .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(name: "CDockyardZlib", path: "Sources/CDockyardZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "DockyardImageBuilder",
            dependencies: ["DockyardReferences", "DockyardManifests", "CDockyardZlib"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Dockyard",
            dependencies: [
                "DockyardReferences", "DockyardManifests", "DockyardTransport", "DockyardHTTPClient", "DockyardAuth",
                "DockyardBlobTransfer", "DockyardHubAPI", nioCore, nioHTTP1, logging,
                "DockyardImageBuilder",
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DockyardRegistryServer",
            dependencies: [
                "DockyardReferences", crypto, nioCore, nioHTTP1,
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "dockyard",
            dependencies: [
                "Dockyard", "DockyardRegistryServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/dockyard",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "dockyard-bench",
            dependencies: ["Dockyard"],
            path: "Benchmarks/dockyard-bench",
            swiftSettings: swiftSettings
        ),

        // Test support: launches the real servers' fixtures and reads their environment. Foundation and Testing
        // only, so that a suite links no more of the SDK than the module it tests.
        .target(
            name: "DockyardTestSupport",
            path: "Tests/DockyardTestSupport",
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        // Test fakes, in one place: scripted transports, in-memory blob servers, a capturing logger.
        .target(
            name: "DockyardTestFakes",
            dependencies: ["DockyardTransport", "DockyardReferences", nioCore, nioHTTP1, logging],
            path: "Tests/DockyardTestFakes",
            swiftSettings: swiftSettings
        ),
        // Offline tests, one target per module: no server, no network, no other SDK module.
        .testTarget(name: "DockyardReferencesTests", dependencies: ["DockyardReferences", "DockyardTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DockyardManifestsTests", dependencies: ["DockyardManifests", "DockyardTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DockyardTransportTests", dependencies: ["DockyardTransport", "DockyardHTTPClient", "DockyardTestFakes", "DockyardTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DockyardAuthTests", dependencies: ["DockyardAuth", "DockyardTestFakes", "DockyardTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DockyardBlobTransferTests", dependencies: ["DockyardBlobTransfer", "DockyardTestFakes", "DockyardTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DockyardHubAPITests", dependencies: ["DockyardHubAPI", "DockyardTestFakes", "DockyardTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DockyardImageBuilderTests", dependencies: ["DockyardImageBuilder", "DockyardTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DockyardTests", dependencies: ["Dockyard", "DockyardTestFakes", "DockyardTestSupport"], swiftSettings: swiftSettings),
        // Network tests: real servers (localhub, hubsim, skopeo, the embedded registry) and the built CLI; tagged .integration.
        .testTarget(name: "DockyardIntegrationTests", dependencies: ["Dockyard", "DockyardHTTPClient", "DockyardRegistryServer", "DockyardTestFakes", "DockyardTestSupport"], swiftSettings: swiftSettings),
        // Every ```swift block of README.md and the DocC articles, extracted by scripts/extract-doc-snippets.
        .testTarget(name: "DockyardDocsTests", dependencies: ["Dockyard", "DockyardRegistryServer"], swiftSettings: swiftSettings),
        .testTarget(name: "DockyardRegistryServerTests", dependencies: ["DockyardRegistryServer", "Dockyard", "DockyardTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DockyardCLITests", dependencies: ["DockyardTestSupport"], swiftSettings: swiftSettings),
    ]
)

// Fuzz targets (Fuzz/Targets), built only by scripts/fuzz with `-sanitize=fuzzer` into .build-fuzz; ordinary builds
// and `swift test` never see them.
if Context.environment["DOCKYARD_FUZZ"] == "1" {
    package.targets.append(.target(name: "DockyardFuzzTargets", dependencies: ["Dockyard"], path: "Fuzz/Targets", swiftSettings: swiftSettings))
}
