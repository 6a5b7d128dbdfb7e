import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOPosix

/// Checks HTTP Basic credentials against the configured users.
struct Authenticator: Sendable {
    private enum Secret: Sendable {
        case plain(SHA256Digest)
        case bcrypt(String)
    }

    private let users: [String: Secret]?
    /// bcrypt is slow on purpose: a password verified once is remembered (as a hash) for the registry's lifetime.
    private let verified = NIOLockedValueBox<[String: SHA256Digest]>([:])

    init(_ authentication: EmbeddedRegistry.Configuration.Authentication) throws {
        switch authentication {
        case .none:
            users = nil
        case .basic(let credentials):
            users = credentials.mapValues { .plain(SHA256.hash(data: Data($0.utf8))) }
        case .htpasswd(let file):
            let text: String
            do {
                text = try String(contentsOf: file, encoding: .utf8)
            } catch {
                throw EmbeddedRegistryError("cannot read htpasswd file \(file.path): \(error.localizedDescription)")
            }
            var users: [String: Secret] = [:]
            for (number, raw) in text.split(whereSeparator: \.isNewline).enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.isEmpty || line.hasPrefix("#") { continue }
                guard let colon = line.firstIndex(of: ":") else {
                    throw EmbeddedRegistryError("htpasswd file \(file.path), line \(number + 1): expected user:hash")
                }
                let user = String(line[..<colon])
                let hash = String(line[line.index(after: colon)...])
                guard Bcrypt.isBcryptHash(hash) else {
                    throw EmbeddedRegistryError(
                        "htpasswd file \(file.path), line \(number + 1): only bcrypt entries are supported "
                            + "(create them with `htpasswd -B`)"
                    )
                }
                users[user] = .bcrypt(hash)
            }
            self.users = users
        }
    }

    var isEnabled: Bool { users != nil }

    /// The authenticated user for an `Authorization` header, nil when the credentials are missing or wrong.
    func user(for authorization: String?) async -> String? {
        guard let users else { return nil }
        guard let authorization, authorization.count < 4096 else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let decoded = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
            let text = String(data: decoded, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        let user = String(text[..<colon])
        let password = String(text[text.index(after: colon)...])
        switch users[user] {
        case .plain(let expected):
            let given = SHA256.hash(data: Data(password.utf8))
            // Compare hashes, so the time taken does not depend on where the passwords differ.
            return given == expected ? user : nil
        case .bcrypt(let hash):
            let given = SHA256.hash(data: Data(password.utf8))
            if verified.withLockedValue({ $0[user] }) == given { return user }
            // bcrypt takes a while by design: off the cooperative threads that serve other requests.
            let matches = try? await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password: password, hash: hash) }
            guard matches == true else { return nil }
            verified.withLockedValue { $0[user] = given }
            return user
        case nil:
            return nil
        }
    }
}
