import DockyardAuth
import DockyardReferences
import Testing

@Suite("Scope.repository(_:actions:)")
struct RepositoryScopeTests {
    @Test(
        "a repository value gives the scope of its path, without the registry, actions sorted",
        arguments: [
            ("registry.example.com/team/app", ["push", "pull"], "repository:team/app:pull,push"),
            ("127.0.0.1:5000/a/b/c", ["delete"], "repository:a/b/c:delete"),
            ("docker.io/library/ubuntu", ["*"], "repository:library/ubuntu:*"),
        ] as [(String, [String], String)])
    func scopeOfRepository(_ name: String, actions: [String], expected: String) throws {
        let scope = Scope.repository(try Repository(parsing: name), actions: Set(actions.map { Scope.Action(rawValue: $0) }))
        #expect(scope.description == expected)
        #expect(scope == (try Scope(parsing: expected)))
    }

    @Test("a push scope covers the pull scope of the same repository, not of another")
    func covers() throws {
        let app = try Repository(parsing: "registry.example.com/team/app")
        let other = try Repository(parsing: "registry.example.com/team/other")
        #expect(Scope.repository(app, actions: [.pull, .push]).covers(.repository(app, actions: [.pull])))
        #expect(!Scope.repository(app, actions: [.pull, .push]).covers(.repository(other, actions: [.pull])))
    }
}
