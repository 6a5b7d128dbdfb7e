/// Docker Hub normalization rules of `distribution/reference` (`splitDockerDomain`).
enum Normalization {
    /// Splits a familiar reference into a domain and the rest, applying Docker Hub's defaults.
    ///
    /// - A single component (`ubuntu`, `ubuntu:24.04`) is an official image: `docker.io`, `library/ubuntu…`.
    /// - A first component equal to `localhost`, containing `.` or `:`, or containing uppercase is a domain;
    ///   `index.docker.io` becomes `docker.io`.
    /// - Otherwise the whole text is a Docker Hub path; a Docker Hub path with one component gets `library/`.
    static func splitDockerDomain(_ name: String) -> (domain: String, remainder: String) {
        guard let slash = name.utf8.firstIndex(of: UInt8(ascii: "/")) else {
            return (Repository.dockerHubDomain, Repository.officialNamespace + "/" + name)
        }
        let first = name[..<slash]
        let rest = name[name.utf8.index(after: slash)...]
        var domain: String
        var remainder: String
        if first == "localhost" {
            (domain, remainder) = (String(first), String(rest))
        } else if first == Repository.legacyDockerHubDomain {
            (domain, remainder) = (Repository.dockerHubDomain, String(rest))
        } else if first.utf8.contains(UInt8(ascii: ".")) || first.utf8.contains(UInt8(ascii: ":")) {
            (domain, remainder) = (String(first), String(rest))
        } else if Casing.hasUppercase(first) {
            (domain, remainder) = (String(first), String(rest))
        } else {
            (domain, remainder) = (Repository.dockerHubDomain, name)
        }
        if domain == Repository.dockerHubDomain, !remainder.utf8.contains(UInt8(ascii: "/")) {
            remainder = Repository.officialNamespace + "/" + remainder
        }
        return (domain, remainder)
    }
}
