import DockyardTransport
import Foundation
import NIOHTTP1

extension HubClient {
    /// A repository's webhook pipelines (repository admins only).
    ///
    /// - Parameter path: The repository.
    /// - Returns: The pipelines as a list.
    public func webhookPipelines(in path: HubRepositoryPath) -> PageSequence<HubWebhookPipeline> {
        pagedList("/v2/repositories/\(path.ns)/\(path.repo)/webhook_pipeline/", auth: .required)
    }

    /// One webhook pipeline.
    ///
    /// - Parameters:
    ///   - slug: The pipeline's slug.
    ///   - path: The repository.
    /// - Returns: The pipeline.
    /// - Throws: ``HubAPIError``.
    public func webhookPipeline(_ slug: String, in path: HubRepositoryPath) async throws -> HubWebhookPipeline {
        try await json(HubWebhookPipeline.self, .GET, try url("/v2/repositories/\(path.ns)/\(path.repo)/webhook_pipeline/\(HubClient.segment(slug))/"), auth: .required)
    }

    /// Creates a webhook pipeline: hooks called in order after every push to the repository.
    ///
    /// - Parameters:
    ///   - name: The pipeline's name.
    ///   - hooks: The hooks, in call order (at least one).
    ///   - expectFinalCallback: Whether the chain completes only after the last hook's callback.
    ///   - path: The repository.
    /// - Returns: The new pipeline.
    /// - Throws: ``HubAPIError``.
    @discardableResult
    public func createWebhookPipeline(named name: String, hooks: [HubWebhookPipeline.Hook], expectFinalCallback: Bool = false, in path: HubRepositoryPath) async throws -> HubWebhookPipeline {
        guard !hooks.isEmpty else { throw HubAPIError(.invalidArgument, message: "a webhook pipeline needs at least one hook") }
        guard hooks.allSatisfy({ $0.hookURL.isAbsoluteHTTP }) else {
            throw HubAPIError(.invalidArgument, message: "every hook URL must be an absolute http(s) URL")
        }
        let body = try HubClient.encode(PipelineBody(name: name, expectFinalCallback: expectFinalCallback, webhooks: hooks.map(HookBody.init)))
        return try await json(HubWebhookPipeline.self, .POST, try url("/v2/repositories/\(path.ns)/\(path.repo)/webhook_pipeline/"), body: body, auth: .required)
    }

    /// Creates a webhook: one hook, called with a delivery after every push to the repository.
    ///
    /// ```swift
    /// let repository = try await hub.repositories(in: "acme").collect(limit: 1)[0]
    /// let webhook = try await hub.createWebhook(named: "ci", url: URL(string: "https://ci.example.com/hook")!,
    ///                                           in: repository.path)
    /// ```
    ///
    /// - Parameters:
    ///   - name: The webhook's name (also the name of its one hook).
    ///   - url: Where deliveries are POSTed: an absolute `http` or `https` URL.
    ///   - path: The repository.
    /// - Returns: The new webhook (a pipeline of one hook); its ``HubWebhookPipeline/slug`` names it in later calls.
    /// - Throws: ``HubAPIError`` (``HubAPIError/Code/invalidArgument`` for a URL that is not absolute http(s)).
    @discardableResult
    public func createWebhook(named name: String, url: URL, in path: HubRepositoryPath) async throws -> HubWebhookPipeline {
        guard url.isAbsoluteHTTP else {
            throw HubAPIError(.invalidArgument, message: "a webhook URL must be an absolute http(s) URL")
        }
        return try await createWebhookPipeline(named: name, hooks: [.init(name: name, hookURL: url)], in: path)
    }

    /// Changes a webhook pipeline: rename it, change a hook's URL, add or remove hooks (pass the whole new list);
    /// a `nil` argument leaves that field alone.
    ///
    /// - Parameters:
    ///   - slug: The pipeline's slug.
    ///   - path: The repository.
    ///   - name: The new name.
    ///   - hooks: The new hooks, replacing the old ones.
    ///   - expectFinalCallback: The new setting.
    /// - Returns: The pipeline as it is now.
    /// - Throws: ``HubAPIError``.
    @discardableResult
    public func updateWebhookPipeline(_ slug: String, in path: HubRepositoryPath, name: String? = nil, hooks: [HubWebhookPipeline.Hook]? = nil, expectFinalCallback: Bool? = nil) async throws -> HubWebhookPipeline {
        struct Body: Encodable {
            var name: String?; var expectFinalCallback: Bool?; var webhooks: [HookBody]?
            enum CodingKeys: String, CodingKey { case name, expectFinalCallback = "expect_final_callback", webhooks }
        }
        if let hooks {
            guard !hooks.isEmpty else { throw HubAPIError(.invalidArgument, message: "a webhook pipeline needs at least one hook") }
            guard hooks.allSatisfy({ $0.hookURL.isAbsoluteHTTP }) else {
                throw HubAPIError(.invalidArgument, message: "every hook URL must be an absolute http(s) URL")
            }
        }
        let body = try HubClient.encode(Body(name: name, expectFinalCallback: expectFinalCallback, webhooks: hooks?.map(HookBody.init)))
        return try await json(HubWebhookPipeline.self, .PATCH, try url("/v2/repositories/\(path.ns)/\(path.repo)/webhook_pipeline/\(HubClient.segment(slug))/"), body: body, auth: .required)
    }

    /// Deletes a webhook pipeline.
    ///
    /// - Parameters:
    ///   - slug: The pipeline's slug.
    ///   - path: The repository.
    /// - Throws: ``HubAPIError``.
    public func deleteWebhookPipeline(_ slug: String, in path: HubRepositoryPath) async throws {
        _ = try await send(.DELETE, try url("/v2/repositories/\(path.ns)/\(path.repo)/webhook_pipeline/\(HubClient.segment(slug))/"), auth: .required)
    }

    /// Reports a webhook receiver's outcome to the delivery's `callback_url`.
    ///
    /// No credentials are sent: the callback URL is itself the capability. The callback's limits were checked when
    /// it was made.
    ///
    /// The callback goes only to Docker Hub's callback host (or the host of the configured Hub API); see
    /// ``WebhookDelivery/checkCallbackURL(_:hubHost:allowedHosts:)``.
    ///
    /// - Parameters:
    ///   - callback: The outcome.
    ///   - callbackURL: ``WebhookDelivery/callbackURL`` of the delivery.
    ///   - allowedHosts: Further hosts trusted with callbacks; none by default.
    /// - Throws: ``HubAPIError``; ``HubAPIError/Code/notFound`` for an unknown or already used callback URL,
    ///   ``HubAPIError/Code/invalidArgument`` for a callback URL on another host.
    public func sendCallback(_ callback: WebhookCallback, to callbackURL: URL, allowedHosts: Set<String> = []) async throws {
        if callbackURL.isAbsoluteHTTP {
            try WebhookDelivery.checkCallbackURL(
                callbackURL, hubHost: configuration.baseURL.host, allowedHosts: allowedHosts)
        }
        // The callback URL is a capability: its path is kept out of messages.
        try await sendToCapability(callbackURL, label: "callback URL", body: try HubClient.encode(callback))
    }

    private struct HookBody: Encodable {
        var name: String; var hookURL: String
        init(_ hook: HubWebhookPipeline.Hook) { name = hook.name; hookURL = hook.hookURL.absoluteString }
        enum CodingKeys: String, CodingKey { case name, hookURL = "hook_url" }
    }

    private struct PipelineBody: Encodable {
        var name: String; var expectFinalCallback: Bool; var webhooks: [HookBody]
        enum CodingKeys: String, CodingKey { case name, expectFinalCallback = "expect_final_callback", webhooks }
    }
}
