import Foundation

/// A result of `docker search` (`GET /v1/search` on the index).
public struct HubSearchResult: Sendable, Hashable, Codable {
    /// The repository name; official images have no namespace (`nginx`).
    public var name: String
    /// The short description.
    public var description: String
    /// Stars.
    public var starCount: Int
    /// Whether it is an official image.
    public var isOfficial: Bool
    /// Whether it is an automated build (deprecated by the Hub).
    public var isAutomated: Bool

    /// Creates a result.
    ///
    /// - Parameters:
    ///   - name: The repository name.
    ///   - description: Its short description.
    ///   - starCount: Its stars.
    ///   - isOfficial: Whether it is an official image.
    ///   - isAutomated: Whether it is an automated build.
    public init(name: String, description: String = "", starCount: Int = 0, isOfficial: Bool = false, isAutomated: Bool = false) {
        self.name = name
        self.description = description
        self.starCount = starCount
        self.isOfficial = isOfficial
        self.isAutomated = isAutomated
    }

    enum CodingKeys: String, CodingKey {
        case name, description, starCount = "star_count", isOfficial = "is_official", isAutomated = "is_automated"
    }

    /// The description as `docker search` prints it: newlines become spaces and, unless `truncate` is `false`, a
    /// description longer than 45 characters is cut to 44 followed by "…".
    ///
    /// - Parameter truncate: Whether to shorten (`docker search --no-trunc` does not).
    /// - Returns: The text for the DESCRIPTION column.
    public func displayDescription(truncate: Bool = true) -> String {
        let flat = description.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
        guard truncate, flat.count > 45 else { return flat }
        return String(flat.prefix(44)) + "…"
    }

    /// Decodes leniently (missing counts and flags are zero and false, as the daemon reads them).
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        description = c.lenientString(.description) ?? ""
        starCount = c.lenientInt(.starCount) ?? 0
        isOfficial = c.lenientBool(.isOfficial) ?? false
        isAutomated = c.lenientBool(.isAutomated) ?? false
    }
}

/// A result of the Hub site's catalogue search (`GET /api/search/v4`).
public struct HubCatalogSearchResult: Sendable, Hashable, Codable {
    /// `namespace/name` (`library/python` for official images).
    public var id: String
    /// The display name (without `library/`).
    public var name: String
    /// `image`, or another content type.
    public var type: String?
    /// The publisher.
    public var publisher: Publisher?
    /// The short description.
    public var shortDescription: String?
    /// `official`, `verified_publisher`, `open_source` or `none`.
    public var badge: String?
    /// Stars.
    public var starCount: Int?
    /// Pulls, abbreviated as the Hub shows them (`1B+`, `10K+`).
    public var pullCount: String?
    /// When it was last updated.
    public var updatedAt: Date?
    /// Architectures offered.
    public var architectures: [Label]
    /// Operating systems offered.
    public var operatingSystems: [Label]
    /// Categories.
    public var categories: [HubCategory]

    /// A publisher of catalogue content.
    public struct Publisher: Sendable, Hashable, Codable {
        /// Its id.
        public var id: String
        /// Its name.
        public var name: String
    }

    /// A named value with a display label.
    public struct Label: Sendable, Hashable, Codable {
        /// The value, e.g. `arm64`.
        public var name: String
        /// The display label, e.g. `ARM 64`.
        public var label: String?
    }

    enum CodingKeys: String, CodingKey {
        case id, name, type, publisher, badge, architectures, categories
        case shortDescription = "short_description", starCount = "star_count", pullCount = "pull_count"
        case updatedAt = "updated_at", operatingSystems = "operating_systems"
    }

    /// Decodes leniently (`pull_count` may be a number or an abbreviated string).
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = c.lenientString(.id) ?? ""
        name = c.lenientString(.name) ?? id
        type = c.lenientString(.type)
        publisher = c.lenient(Publisher.self, .publisher)
        shortDescription = c.lenientString(.shortDescription)
        badge = c.lenientString(.badge)
        starCount = c.lenientInt(.starCount)
        pullCount = c.lenientString(.pullCount)
        updatedAt = c.lenientDate(.updatedAt)
        architectures = c.lenientArray(Label.self, .architectures)
        operatingSystems = c.lenientArray(Label.self, .operatingSystems)
        categories = c.lenientArray(HubCategory.self, .categories)
    }
}
