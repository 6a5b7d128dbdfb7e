import Foundation

extension EmbeddedRegistry {
    /// Bearer-token authentication with a token service built into the registry, as distribution's token
    /// authentication (`docs/spec/auth/token.md`) and Docker Hub work.
    ///
    /// A request without a valid token is answered `401` with a challenge such as
    /// `WWW-Authenticate: Bearer realm="http://127.0.0.1:41234/token",service="dockyard-registry",scope="repository:team/app:pull"`.
    /// The client asks the realm (on the registry's own port) for a token, with its username and password as HTTP
    /// Basic credentials (`GET`), or in an OAuth2 password grant (`POST`). The token service grants the requested
    /// actions the user holds and leaves out the others, and signs the token (HMAC-SHA256, a JWT) with a key made
    /// when the registry starts; the token expires after ``lifetime``.
    ///
    /// Each route checks the token's scopes: reading a repository needs `repository:NAME:pull`, writing it
    /// `repository:NAME:push`, deleting from it `repository:NAME:delete`, and the catalog `registry:catalog:*`. A
    /// token that lacks the scope is answered `401` with `error="insufficient_scope"`. A cross-repository mount
    /// from a repository the token cannot pull is answered as an ordinary upload, as distribution does.
    ///
    /// ```swift
    /// let authentication = EmbeddedRegistry.TokenAuthentication(
    ///     users: .list(["alice": "wonderland", "bob": "builder"]),
    ///     access: ["bob": .pullOnly],
    ///     anonymousPull: true
    /// )
    /// let registry = try await EmbeddedRegistry.start(.init(authentication: .token(authentication)))
    /// ```
    public struct TokenAuthentication: Sendable, Equatable {
        /// Where users and their passwords come from.
        public enum Users: Sendable, Equatable {
            /// User names and plain passwords.
            case list([String: String])
            /// An Apache `htpasswd` file with bcrypt entries, read when the registry starts.
            case htpasswd(URL)
        }

        /// An action on a repository, as in a token scope such as `repository:team/app:pull,push`.
        public enum Action: String, Sendable, Hashable, CaseIterable {
            /// Read manifests, blobs, tags and referrers.
            case pull
            /// Upload blobs and manifests (and mount blobs into the repository).
            case push
            /// Delete manifests, tags and blobs.
            case delete
        }

        /// Actions granted on the repositories a pattern matches.
        public struct Grant: Sendable, Equatable {
            /// `*` for every repository, `team/*` for every repository under `team/`, or one repository's name.
            public var repositories: String
            /// The actions granted.
            public var actions: Set<Action>

            /// Creates a grant.
            /// - Parameters:
            ///   - repositories: `*`, a prefix ending in `/*`, or a repository name.
            ///   - actions: The actions granted.
            public init(_ repositories: String, actions: Set<Action>) {
                self.repositories = repositories
                self.actions = actions
            }

            /// Whether the grant covers a repository.
            /// - Parameter repository: A repository name such as `team/app`.
            /// - Returns: True when the pattern matches the name.
            public func matches(_ repository: String) -> Bool {
                if repositories == "*" { return true }
                if repositories.hasSuffix("/*") { return repository.hasPrefix(repositories.dropLast()) }
                return repository == repositories
            }
        }

        /// What one user may do.
        public struct Access: Sendable, Equatable {
            /// The grants; a repository's actions are the union of every grant that matches it.
            public var grants: [Grant]
            /// Whether the user may list the catalog (`registry:catalog:*`).
            public var catalog: Bool

            /// Creates an access rule.
            /// - Parameters:
            ///   - grants: The grants.
            ///   - catalog: Whether the user may list the catalog.
            public init(grants: [Grant], catalog: Bool = false) {
                self.grants = grants
                self.catalog = catalog
            }

            /// Pull, push and delete on every repository, and the catalog: what users not named in
            /// ``TokenAuthentication/access`` get.
            public static let full = Access(grants: [Grant("*", actions: [.pull, .push, .delete])], catalog: true)
            /// Pull on every repository; no push, no delete, no catalog.
            public static let pullOnly = Access(grants: [Grant("*", actions: [.pull])])

            /// The actions granted on a repository.
            /// - Parameter repository: A repository name.
            /// - Returns: The union of the actions of every grant that matches it.
            public func actions(on repository: String) -> Set<Action> {
                grants.reduce(into: []) { result, grant in
                    if grant.matches(repository) { result.formUnion(grant.actions) }
                }
            }
        }

        /// The users who may ask for tokens.
        public var users: Users
        /// What each named user may do; users not named here get ``Access/full``.
        public var access: [String: Access]
        /// Whether a client without credentials gets a token that pulls from every repository.
        public var anonymousPull: Bool
        /// How long a token is valid (5 minutes by default).
        public var lifetime: Duration
        /// The `service` the challenge names and tokens are issued for.
        public var service: String

        /// Creates a token authentication setting.
        /// - Parameters:
        ///   - users: Where users and passwords come from.
        ///   - access: What named users may do; others get ``Access/full``.
        ///   - anonymousPull: Whether clients without credentials may pull.
        ///   - lifetime: How long a token is valid.
        ///   - service: The service name in challenges and tokens.
        public init(
            users: Users,
            access: [String: Access] = [:],
            anonymousPull: Bool = false,
            lifetime: Duration = .seconds(300),
            service: String = "dockyard-registry"
        ) {
            self.users = users
            self.access = access
            self.anonymousPull = anonymousPull
            self.lifetime = lifetime
            self.service = service
        }

        /// What a user (nil: anonymous) may do.
        func access(for user: String?) -> Access {
            guard let user else {
                return anonymousPull ? .pullOnly : Access(grants: [])
            }
            return access[user] ?? .full
        }
    }
}
