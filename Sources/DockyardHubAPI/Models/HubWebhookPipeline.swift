import Foundation

/// A repository's webhook pipeline (`webhook_pipeline`): a chain of hooks called after every push.
///
/// The first hook is called after a push; each later one only after the previous hook's callback reported
/// `success`.
public struct HubWebhookPipeline: Sendable, Hashable, Codable {
    /// The pipeline's name.
    public var name: String
    /// The slug used in its URL (derived from the name).
    public var slug: String
    /// Whether the chain completes only after the last hook's callback.
    public var expectFinalCallback: Bool
    /// The hooks, in call order.
    public var webhooks: [Hook]
    /// The registry it watches.
    public var registry: String?
    /// When it was made.
    public var created: Date?
    /// When it last changed.
    public var lastUpdated: Date?

    /// One hook of a pipeline.
    public struct Hook: Sendable, Hashable, Codable {
        /// The hook's name.
        public var name: String
        /// The URL the delivery is POSTed to.
        public var hookURL: URL
        /// When it was made.
        public var created: Date?
        /// When it last changed.
        public var lastUpdated: Date?

        /// Creates a hook for a create or update request.
        ///
        /// - Parameters:
        ///   - name: The hook's name.
        ///   - hookURL: The URL deliveries go to (absolute http or https).
        public init(name: String, hookURL: URL) {
            self.name = name
            self.hookURL = hookURL
        }

        enum CodingKeys: String, CodingKey { case name, created, hookURL = "hook_url", lastUpdated = "last_updated" }

        /// Decodes leniently.
        ///
        /// - Parameter decoder: The decoder to read from.
        /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = c.lenientString(.name) ?? ""
            let text = c.lenientString(.hookURL) ?? ""
            guard let url = URL(string: text), url.isAbsoluteHTTP else {
                throw DecodingError.dataCorruptedError(
                    forKey: .hookURL, in: c, debugDescription: "the hook URL is not an absolute http(s) URL")
            }
            hookURL = url
            created = c.lenientDate(.created)
            lastUpdated = c.lenientDate(.lastUpdated)
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, slug, webhooks, registry, created
        case expectFinalCallback = "expect_final_callback", lastUpdated = "last_updated"
    }

    /// Decodes leniently.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        slug = c.lenientString(.slug) ?? name
        expectFinalCallback = c.lenientBool(.expectFinalCallback) ?? false
        webhooks = c.lenientArray(Hook.self, .webhooks)
        registry = c.lenientString(.registry)
        created = c.lenientDate(.created)
        lastUpdated = c.lenientDate(.lastUpdated)
    }
}
