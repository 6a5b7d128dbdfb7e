import DockyardReferences

extension Scope {
    /// A scope on a repository, named by the References module's ``DockyardReferences/Repository`` value rather
    /// than a path string.
    ///
    /// Ask for the least you need: `[.pull]` to read, `[.pull, .push]` only when pushing, `[.delete]` to delete.
    /// The scope names the repository's path without its registry (the token service belongs to that registry).
    ///
    /// ```swift
    /// let repository = try Repository(parsing: "registry.example.com/team/app")
    /// let scope = Scope.repository(repository, actions: [.pull, .push])   // repository:team/app:pull,push
    /// ```
    ///
    /// See the distribution token specification, "Token Scope Documentation".
    ///
    /// - Parameters:
    ///   - repository: The repository.
    ///   - actions: The actions: ``Action/pull``, ``Action/push``, ``Action/delete`` or ``Action/all`` (`*`).
    /// - Returns: The scope `repository:<path>:<actions>`.
    public static func repository(_ repository: Repository, actions: Set<Action>) -> Scope {
        Scope(resourceType: "repository", name: repository.path, actions: actions)
    }
}
