/// A resource scope of the distribution token specification, such as `repository:library/ubuntu:pull`.
///
/// The grammar (distribution `docs/spec/auth/scope.md`):
///
/// ```
/// scope            := resourcetype ":" resourcename ":" action [ "," action ]*
/// resourcetype     := resourcetypevalue [ "(" resourcetypevalue ")" ]
/// resourcename     := [ hostname "/" ] component [ "/" component ]*
/// action           := /[a-z]*/ | "*"
/// ```
///
/// The resource name may hold a `:` (a registry host with a port), so a scope string is split at its first and
/// last `:`. Actions form a set; ``description`` lists them sorted, so equal scopes print equally.
public struct Scope: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// An action on a resource: `pull`, `push`, `delete` or `*`, or any other the token service knows.
    public struct Action: Hashable, Sendable, Comparable, RawRepresentable, ExpressibleByStringLiteral,
        CustomStringConvertible
    {
        /// The action's name as it appears in a scope string.
        public let rawValue: String

        /// Creates an action from its name.
        ///
        /// - Parameter rawValue: The name, for example `pull`.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Creates an action from a string literal.
        ///
        /// - Parameter value: The name.
        public init(stringLiteral value: String) { self.rawValue = value }

        /// Read a repository's manifests and blobs.
        public static let pull = Action(rawValue: "pull")
        /// Write manifests and blobs to a repository.
        public static let push = Action(rawValue: "push")
        /// Delete manifests and blobs.
        public static let delete = Action(rawValue: "delete")
        /// Every action (used with `registry:catalog:*`).
        public static let all = Action(rawValue: "*")

        /// The action's name.
        public var description: String { rawValue }

        /// Orders actions by name, as scope strings list them.
        ///
        /// - Parameters:
        ///   - lhs: An action.
        ///   - rhs: Another action.
        /// - Returns: Whether `lhs`'s name sorts before `rhs`'s.
        public static func < (lhs: Action, rhs: Action) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The resource type, for example `repository` or `registry`.
    public var resourceType: String
    /// The resource class, the part in parentheses of `repository(plugin)`, if any.
    public var resourceClass: String?
    /// The resource name, for example `library/ubuntu` or `catalog`.
    public var name: String
    /// The actions asked for.
    public var actions: Set<Action>

    /// Creates a scope.
    ///
    /// - Parameters:
    ///   - resourceType: The resource type, for example `repository`.
    ///   - resourceClass: An optional resource class, for example `plugin`.
    ///   - name: The resource name.
    ///   - actions: The actions.
    public init(resourceType: String, resourceClass: String? = nil, name: String, actions: Set<Action>) {
        self.resourceType = resourceType
        self.resourceClass = resourceClass
        self.name = name
        self.actions = actions
    }

    /// Parses a scope string such as `repository:library/ubuntu:pull,push` or `repository(plugin):a/b:pull`.
    ///
    /// - Parameter string: The scope string.
    /// - Throws: ``AuthError`` with code ``AuthError/Code/invalidScope`` when the string does not follow the grammar.
    public init(parsing string: String) throws(AuthError) {
        guard let first = string.firstIndex(of: ":"), let last = string.lastIndex(of: ":"), first < last else {
            throw AuthError(.invalidScope, message: "scope '\(string)' is not of the form type:name:actions")
        }
        var type = String(string[..<first])
        let name = String(string[string.index(after: first)..<last])
        let actionList = string[string.index(after: last)...]
        var resourceClass: String?
        if let open = type.firstIndex(of: "(") {
            guard type.hasSuffix(")"), open > type.startIndex else {
                throw AuthError(.invalidScope, message: "scope '\(string)' has a malformed resource class")
            }
            resourceClass = String(type[type.index(after: open)..<type.index(before: type.endIndex)])
            type = String(type[..<open])
        }
        guard !type.isEmpty, !name.isEmpty, resourceClass.map({ !$0.isEmpty }) ?? true else {
            throw AuthError(.invalidScope, message: "scope '\(string)' has an empty resource type or name")
        }
        let actions = actionList.split(separator: ",").map { Action(rawValue: String($0)) }
        self.init(resourceType: type, resourceClass: resourceClass, name: name, actions: Set(actions))
    }

    /// A scope on a repository.
    ///
    /// Ask for the least you need: `[.pull]` to read, `[.pull, .push]` only when pushing.
    ///
    /// - Parameters:
    ///   - path: The repository path without the registry, for example `library/ubuntu`.
    ///   - actions: The actions, for example `[.pull]`.
    /// - Returns: The scope `repository:<path>:<actions>`.
    public static func repository(_ path: String, actions: [Action]) -> Scope {
        Scope(resourceType: "repository", name: path, actions: Set(actions))
    }

    /// The scope that lists a registry's catalog: `registry:catalog:*`.
    public static var catalog: Scope { Scope(resourceType: "registry", name: "catalog", actions: [.all]) }

    /// The resource type with its class, as it appears in a scope string: `repository` or `repository(plugin)`.
    public var qualifiedType: String {
        resourceClass.map { "\(resourceType)(\($0))" } ?? resourceType
    }

    /// The scope string, actions sorted: `repository:library/ubuntu:pull,push`.
    public var description: String {
        "\(qualifiedType):\(name):\(actions.sorted().map(\.rawValue).joined(separator: ","))"
    }

    /// Whether this scope asks for at least everything `other` asks for.
    ///
    /// - Parameter other: Another scope.
    /// - Returns: `true` when both name the same resource and this scope's actions include the other's
    ///   (or this scope holds `*`).
    public func covers(_ other: Scope) -> Bool {
        qualifiedType == other.qualifiedType && name == other.name
            && (actions.contains(.all) || other.actions.isSubset(of: actions))
    }

    /// Merges scopes on the same resource into one with the union of their actions, and sorts the result.
    ///
    /// - Parameter scopes: Scopes in any order, possibly repeating resources.
    /// - Returns: One scope per resource, sorted by their string form.
    public static func merged(_ scopes: some Sequence<Scope>) -> [Scope] {
        var byResource: [String: Scope] = [:]
        for scope in scopes {
            let key = "\(scope.qualifiedType):\(scope.name)"
            if var existing = byResource[key] {
                existing.actions.formUnion(scope.actions)
                byResource[key] = existing
            } else {
                byResource[key] = scope
            }
        }
        return byResource.values.sorted()
    }

    /// Parses the space-separated scopes of a challenge's `scope` parameter, skipping malformed entries.
    ///
    /// - Parameter list: For example `repository:a:pull repository:b:pull,push`.
    /// - Returns: The scopes that parsed.
    public static func parseList(_ list: String) -> [Scope] {
        list.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { try? Scope(parsing: String($0)) }
    }

    /// Orders scopes by their string form, so merged scope lists are stable.
    ///
    /// - Parameters:
    ///   - lhs: A scope.
    ///   - rhs: Another scope.
    /// - Returns: Whether `lhs`'s string form sorts before `rhs`'s.
    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.description < rhs.description }
}
