import DockyardAuth
import Testing

@Suite("Scope")
struct ScopeTests {
    @Test(
        "parses the distribution scope grammar",
        arguments: [
            ("repository:library/ubuntu:pull", "repository", nil, "library/ubuntu", ["pull"]),
            ("repository:alice/app:push,pull", "repository", nil, "alice/app", ["pull", "push"]),
            ("repository(plugin):vieux/sshfs:pull", "repository", "plugin", "vieux/sshfs", ["pull"]),
            ("registry:catalog:*", "registry", nil, "catalog", ["*"]),
            ("repository:127.0.0.1:5000/x/y:pull", "repository", nil, "127.0.0.1:5000/x/y", ["pull"]),
            ("repository:a/b:", "repository", nil, "a/b", []),
        ] as [(String, String, String?, String, [String])])
    func parses(_ text: String, type: String, resourceClass: String?, name: String, actions: [String]) throws {
        let scope = try Scope(parsing: text)
        #expect(scope.resourceType == type)
        #expect(scope.resourceClass == resourceClass)
        #expect(scope.name == name)
        #expect(scope.actions == Set(actions.map(Scope.Action.init(rawValue:))))
    }

    @Test("rejects malformed scopes with a typed error", arguments: ["", "repository", "repository:pull", ":a:pull", "repository::pull", "(x):a:pull", "repository(:a:pull"])
    func rejects(_ text: String) throws {
        let error = try #require(throws: AuthError.self) { try Scope(parsing: text) }
        #expect(error.code == .invalidScope)
        #expect(error.description.contains("'\(text)'"), "the message names the scope: \(error.description)")
    }

    @Test func stringFormSortsActions() {
        #expect(Scope.repository("alice/app", actions: [.push, .pull]).description == "repository:alice/app:pull,push")
        #expect(Scope.catalog.description == "registry:catalog:*")
        let plugin = Scope(resourceType: "repository", resourceClass: "plugin", name: "a/b", actions: [.pull])
        #expect(plugin.description == "repository(plugin):a/b:pull")
    }

    @Test func mergeUnitesActionsPerResourceAndSorts() {
        let merged = Scope.merged([
            .repository("b/b", actions: [.pull]),
            .repository("a/a", actions: [.push]),
            .repository("b/b", actions: [.push]),
            .repository("a/a", actions: [.pull]),
            Scope(resourceType: "repository", resourceClass: "plugin", name: "a/a", actions: [.pull]),
        ])
        #expect(
            merged.map(\.description) == [
                "repository(plugin):a/a:pull", "repository:a/a:pull,push", "repository:b/b:pull,push",
            ])
    }

    @Test func coversComparesResourceAndActions() {
        let pullPush = Scope.repository("a", actions: [.pull, .push])
        #expect(pullPush.covers(.repository("a", actions: [.pull])))
        #expect(!Scope.repository("a", actions: [.pull]).covers(pullPush))
        #expect(!pullPush.covers(.repository("b", actions: [.pull])))
        #expect(Scope.repository("a", actions: [.all]).covers(pullPush))
    }

    @Test func parseListSkipsMalformedEntries() {
        let scopes = Scope.parseList("repository:a:pull  bogus repository:b:pull,push")
        #expect(scopes.map(\.description) == ["repository:a:pull", "repository:b:pull,push"])
    }
}
