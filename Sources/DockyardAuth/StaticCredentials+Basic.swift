extension StaticCredentials {
    /// Creates a provider with a user name and password (or access token) for one registry, in one line:
    ///
    /// ```swift
    /// let credentials = StaticCredentials(username: "me", password: "secret", registry: "ghcr.io")
    /// ```
    ///
    /// The credentials go to that registry only (Docker Hub's aliases count as one registry), never to
    /// another host a request is redirected to.
    ///
    /// - Parameters:
    ///   - username: The user name.
    ///   - password: The password or personal access token.
    ///   - registry: The registry they belong to, e.g. `ghcr.io`, `127.0.0.1:5000`; Docker Hub by default.
    public init(username: String, password: String, registry: String = "docker.io") {
        self.init(.basic(username: username, password: password), forRegistry: registry)
    }
}
