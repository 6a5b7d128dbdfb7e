// swift-tools-version:6.0
//
// A small runnable Docker Hub webhook receiver. It is a separate package so that its server dependency (SwiftNIO's
// HTTP server) is never forced on users of the Dockyard SDK, whose webhook model and callback need no framework.
//
//   swift build --package-path Examples/webhook-receiver
//   Examples/webhook-receiver/.build/debug/webhook-receiver --port 8099
import PackageDescription

let package = Package(
    name: "webhook-receiver",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "Dockyard", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.100.0"),
    ],
    targets: [
        .executableTarget(
            name: "webhook-receiver",
            dependencies: [
                .product(name: "DockyardHubAPI", package: "Dockyard"),
                .product(name: "DockyardTransport", package: "Dockyard"),
                .product(name: "DockyardHTTPClient", package: "Dockyard"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/webhook-receiver",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
