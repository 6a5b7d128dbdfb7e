import DockyardTransport
import Foundation
import NIOHTTP1

/// Which build rules a trigger starts.
public enum HubBuildSelection: Sendable, Hashable {
    /// Every rule.
    case all
    /// The rules with this image tag, and `{sourceref}` rules whose source matches it.
    case dockerTag(String)
    /// The rules of this source type whose source (a name or a `/regex/`) matches the name.
    case source(HubBuildSourceType, name: String)
}

extension HubClient {
    /// A repository's automated-build settings (write access needed).
    ///
    /// - Parameter path: The repository.
    /// - Returns: The settings with their build rules.
    /// - Throws: ``HubAPIError``; ``HubAPIError/Code/notFound`` when the repository has no automated build.
    public func buildSettings(in path: HubRepositoryPath) async throws -> HubBuildSettings {
        try await json(HubBuildSettings.self, .GET, try url("/v2/repositories/\(path.ns)/\(path.repo)/autobuild/"), auth: .required)
    }

    /// Sets up automated builds for a repository (created when missing): the source repository on GitHub or
    /// Bitbucket and one or more build rules.
    ///
    /// ```swift
    /// try await hub.createBuildSettings(
    ///     in: path, provider: .github, sourceRepository: "acme/builder-src",
    ///     rules: [HubBuildRule(tag: "latest", sourceType: .branch, sourceName: "main"),
    ///             HubBuildRule(tag: "{sourceref}", sourceType: .tag, sourceName: "/^v[0-9.]+$/")])
    /// ```
    ///
    /// Docker Hub's API has no call that deactivates, reactivates or deletes an automated build once it exists:
    /// that is done in the Hub's web interface.
    ///
    /// - Parameters:
    ///   - path: The repository.
    ///   - provider: Where the source lives.
    ///   - sourceRepository: The source repository, e.g. `acme/builder-src`.
    ///   - rules: The build rules.
    ///   - isPrivate: Whether a repository created here is private.
    ///   - active: Whether builds are on.
    /// - Returns: The settings.
    /// - Throws: ``HubAPIError``.
    @discardableResult
    public func createBuildSettings(in path: HubRepositoryPath, provider: HubBuildProvider, sourceRepository: String, rules: [HubBuildRule], isPrivate: Bool = false, active: Bool = true) async throws -> HubBuildSettings {
        guard !rules.isEmpty else { throw HubAPIError(.invalidArgument, message: "an automated build needs at least one build rule") }
        struct Body: Encodable {
            var namespace: String; var name: String; var isPrivate: Bool; var active: Bool; var dockerhubRepoName: String
            var provider: String; var vcsRepoName: String; var buildTags: [RuleBody]
            enum CodingKeys: String, CodingKey {
                case namespace, name, active, provider
                case isPrivate = "is_private", dockerhubRepoName = "dockerhub_repo_name", vcsRepoName = "vcs_repo_name", buildTags = "build_tags"
            }
        }
        let body = try HubClient.encode(Body(
            namespace: path.namespace, name: path.name, isPrivate: isPrivate, active: active, dockerhubRepoName: path.description,
            provider: provider.rawValue, vcsRepoName: sourceRepository, buildTags: rules.map(RuleBody.init)))
        return try await json(HubBuildSettings.self, .POST, try url("/v2/repositories/\(path.ns)/\(path.repo)/autobuild/"), body: body, auth: .required)
    }

    /// A repository's build rules.
    ///
    /// - Parameter path: The repository.
    /// - Returns: The rules as a list.
    public func buildRules(in path: HubRepositoryPath) -> PageSequence<HubBuildRule> {
        pagedList("/v2/repositories/\(path.ns)/\(path.repo)/autobuild/tags/", auth: .required)
    }

    /// Adds a build rule.
    ///
    /// - Parameters:
    ///   - rule: The rule.
    ///   - path: The repository.
    /// - Returns: The rule with its id.
    /// - Throws: ``HubAPIError``.
    @discardableResult
    public func createBuildRule(_ rule: HubBuildRule, in path: HubRepositoryPath) async throws -> HubBuildRule {
        let body = try HubClient.encode(RuleBody(rule))
        return try await json(HubBuildRule.self, .POST, try url("/v2/repositories/\(path.ns)/\(path.repo)/autobuild/tags/"), body: body, auth: .required)
    }

    /// Replaces a build rule.
    ///
    /// - Parameters:
    ///   - id: The rule's id.
    ///   - rule: The new rule.
    ///   - path: The repository.
    /// - Returns: The rule as it is now.
    /// - Throws: ``HubAPIError``.
    @discardableResult
    public func updateBuildRule(_ id: Int, to rule: HubBuildRule, in path: HubRepositoryPath) async throws -> HubBuildRule {
        let body = try HubClient.encode(RuleBody(rule))
        return try await json(HubBuildRule.self, .PUT, try url("/v2/repositories/\(path.ns)/\(path.repo)/autobuild/tags/\(id)/"), body: body, auth: .required)
    }

    /// Deletes a build rule.
    ///
    /// - Parameters:
    ///   - id: The rule's id.
    ///   - path: The repository.
    /// - Throws: ``HubAPIError``.
    public func deleteBuildRule(_ id: Int, in path: HubRepositoryPath) async throws {
        _ = try await send(.DELETE, try url("/v2/repositories/\(path.ns)/\(path.repo)/autobuild/tags/\(id)/"), auth: .required)
    }

    /// Starts a build as the logged-in user (write access needed).
    ///
    /// - Parameters:
    ///   - path: The repository.
    ///   - sourceType: Branch or tag.
    ///   - sourceName: The branch or tag to build.
    ///   - dockerfileLocation: The Dockerfile's folder.
    /// - Returns: The builds started.
    /// - Throws: ``HubAPIError``.
    public func triggerBuild(in path: HubRepositoryPath, sourceType: HubBuildSourceType, sourceName: String, dockerfileLocation: String = "/") async throws -> [HubBuild] {
        struct Body: Encodable {
            var sourceType: String; var sourceName: String; var dockerfileLocation: String
            enum CodingKeys: String, CodingKey { case sourceType = "source_type", sourceName = "source_name", dockerfileLocation = "dockerfile_location" }
        }
        let body = try HubClient.encode(Body(sourceType: sourceType.rawValue, sourceName: sourceName, dockerfileLocation: dockerfileLocation))
        return try await json([HubBuild].self, .POST, try url("/v2/repositories/\(path.ns)/\(path.repo)/autobuild/trigger-build/"), body: body, auth: .required)
    }

    /// Starts builds through a repository's trigger URL, which needs no login (the URL is the secret).
    ///
    /// Works with both the legacy `…/trigger/TOKEN/` URL and the current `…/api/build/v1/source/…/call/` one.
    /// The Hub answers without naming the builds; find them with ``builds(of:pageSize:)``.
    ///
    /// - Parameters:
    ///   - triggerURL: The trigger URL (``HubBuildTrigger/triggerURL`` or ``HubBuildTrigger/sourceTriggerURL``).
    ///   - selection: Which rules to build.
    /// - Throws: ``HubAPIError``; ``HubAPIError/Code/notFound`` for an unknown trigger.
    public func triggerBuild(url triggerURL: URL, selection: HubBuildSelection = .all) async throws {
        let body: [String: JSONScalar]
        switch selection {
        case .all: body = ["build": .bool(true)]
        case .dockerTag(let tag): body = ["docker_tag": .string(tag)]
        case .source(let type, let name): body = ["source_type": .string(type.rawValue), "source_name": .string(name)]
        }
        // The trigger URL holds the trigger token: it is kept out of messages.
        try await sendToCapability(triggerURL, label: "trigger URL", body: try HubClient.encode(body), accept: "application/json, text/plain")
    }

    /// A repository's trigger URLs (admin access needed).
    ///
    /// - Parameter path: The repository.
    /// - Returns: The trigger.
    /// - Throws: ``HubAPIError``.
    public func buildTrigger(in path: HubRepositoryPath) async throws -> HubBuildTrigger {
        try await json(HubBuildTrigger.self, .GET, try url("/v2/repositories/\(path.ns)/\(path.repo)/buildtrigger/"), auth: .required)
    }

    /// Creates a repository's trigger URLs, or makes a new token when they exist (admin access needed).
    ///
    /// - Parameter path: The repository.
    /// - Returns: The trigger, active, with its URLs.
    /// - Throws: ``HubAPIError``; ``HubAPIError/Code/notFound`` when the repository has no automated build.
    @discardableResult
    public func createBuildTrigger(in path: HubRepositoryPath) async throws -> HubBuildTrigger {
        try await postBuildTrigger(["active": .bool(true)], in: path)
    }

    /// Replaces a repository's trigger token: the old trigger URLs stop working (admin access needed).
    ///
    /// - Parameter path: The repository.
    /// - Returns: The trigger with its new URLs.
    /// - Throws: ``HubAPIError``.
    @discardableResult
    public func regenerateBuildTrigger(in path: HubRepositoryPath) async throws -> HubBuildTrigger {
        try await postBuildTrigger(["regenerate": .bool(true), "active": .bool(true)], in: path)
    }

    /// Turns a repository's trigger URLs on or off, keeping the token (admin access needed).
    ///
    /// - Parameters:
    ///   - active: Whether calls of the trigger URLs start builds.
    ///   - path: The repository.
    /// - Returns: The trigger as it is now.
    /// - Throws: ``HubAPIError``.
    @discardableResult
    public func setBuildTriggerActive(_ active: Bool, in path: HubRepositoryPath) async throws -> HubBuildTrigger {
        try await postBuildTrigger(["regenerate": .bool(false), "active": .bool(active)], in: path)
    }

    private func postBuildTrigger(_ body: [String: JSONScalar], in path: HubRepositoryPath) async throws -> HubBuildTrigger {
        try await json(HubBuildTrigger.self, .POST, try url("/v2/repositories/\(path.ns)/\(path.repo)/buildtrigger/"),
                       body: try HubClient.encode(body), auth: .required)
    }

    /// The calls of a repository's trigger URLs, newest first (admin access needed).
    ///
    /// - Parameters:
    ///   - path: The repository.
    ///   - pageSize: Items per page.
    /// - Returns: The calls as a list; iterating throws ``HubAPIError``.
    public func buildTriggerHistory(in path: HubRepositoryPath, pageSize: Int? = nil) -> PageSequence<HubBuildTriggerEvent> {
        pagedList("/v2/repositories/\(path.ns)/\(path.repo)/buildtrigger/history/", pageSize: pageSize, auth: .required)
    }

    /// A repository's build history, newest first.
    ///
    /// - Parameters:
    ///   - path: The repository.
    ///   - pageSize: Items per page.
    /// - Returns: The builds as a list.
    public func builds(in path: HubRepositoryPath, pageSize: Int? = nil) -> PageSequence<HubBuild> {
        pagedList("/v2/repositories/\(path.ns)/\(path.repo)/buildhistory/", pageSize: pageSize)
    }

    /// One build, with its logs.
    ///
    /// - Parameters:
    ///   - buildCode: The build's code.
    ///   - path: The repository.
    /// - Returns: The build and its results.
    /// - Throws: ``HubAPIError``.
    public func build(_ buildCode: String, in path: HubRepositoryPath) async throws -> HubBuild {
        try await json(HubBuild.self, .GET, try url("/v2/repositories/\(path.ns)/\(path.repo)/buildhistory/\(HubClient.segment(buildCode))/"))
    }

    /// Follows a build until it ends: yields the build each time its status changes, the first time included, and
    /// finishes after a final status (success, failure, cancelled).
    ///
    /// - Parameters:
    ///   - buildCode: The build's code.
    ///   - path: The repository.
    ///   - pollInterval: How often to ask.
    ///   - timeout: When to give up; `nil` waits for ever.
    /// - Returns: The status changes; the stream throws ``HubAPIError`` (after a ``HubAPIError/Code/serverError``
    ///   the build is asked again at the next poll, until ``buildPollServerErrorLimit`` server errors come in a row,
    ///   and the last of them is thrown; a timeout throws ``HubAPIError/Code/unexpectedStatus``).
    public func buildStatusUpdates(for buildCode: String, in path: HubRepositoryPath, pollInterval: Duration = .seconds(1), timeout: Duration? = nil) -> AsyncThrowingStream<HubBuild, any Error> {
        let client = self
        return AsyncThrowingStream { continuation in
            let task = Task {
                let deadline = timeout.map { ContinuousClock.now + $0 }
                var last: HubBuildStatus?
                var serverErrors = 0
                do {
                    while true {
                        let build: HubBuild
                        do {
                            build = try await client.build(buildCode, in: path)
                            serverErrors = 0
                        } catch let error as HubAPIError where error.code == .serverError {
                            serverErrors += 1
                            let outOfTime = deadline.map { ContinuousClock.now + pollInterval > $0 } ?? false
                            if serverErrors >= HubClient.buildPollServerErrorLimit || outOfTime { throw error }
                            try await Task.sleep(for: pollInterval)
                            continue
                        }
                        if build.status != last {
                            last = build.status
                            continuation.yield(build)
                        }
                        if build.status.isFinal { break }
                        if let deadline, ContinuousClock.now + pollInterval > deadline {
                            throw HubAPIError(.unexpectedStatus, message: "build \(buildCode) was still \(build.status) when the wait timed out")
                        }
                        try await Task.sleep(for: pollInterval)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// How many server errors (5xx) in a row end a build poll: the one that reaches this count is thrown, the ones
    /// before it are asked again at the next poll.
    public static let buildPollServerErrorLimit = 3

    /// Waits for a build to end.
    ///
    /// - Parameters:
    ///   - buildCode: The build's code.
    ///   - path: The repository.
    ///   - pollInterval: How often to ask.
    ///   - timeout: When to give up.
    /// - Returns: The build in its final status.
    /// - Throws: ``HubAPIError``.
    public func waitForBuild(_ buildCode: String, in path: HubRepositoryPath, pollInterval: Duration = .seconds(1), timeout: Duration? = nil) async throws -> HubBuild {
        var last: HubBuild?
        for try await build in buildStatusUpdates(for: buildCode, in: path, pollInterval: pollInterval, timeout: timeout) { last = build }
        guard let last else { throw HubAPIError(.invalidResponse, message: "no status for build \(buildCode)") }
        return last
    }

    private struct RuleBody: Encodable {
        var name: String; var sourceType: String; var sourceName: String; var dockerfileLocation: String
        var buildContext: String; var autobuild: Bool; var noCache: Bool
        init(_ rule: HubBuildRule) {
            name = rule.tag; sourceType = rule.sourceType.rawValue; sourceName = rule.sourceName; dockerfileLocation = rule.dockerfileLocation
            buildContext = rule.buildContext; autobuild = rule.autobuild; noCache = !rule.buildCaching
        }
        enum CodingKeys: String, CodingKey {
            case name, sourceType = "source_type", sourceName = "source_name", dockerfileLocation = "dockerfile_location"
            case buildContext = "build_context", autobuild, noCache = "nocache"
        }
    }
}

/// A JSON string or boolean, for small request bodies.
enum JSONScalar: Encodable {
    case string(String)
    case bool(Bool)

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        }
    }
}
