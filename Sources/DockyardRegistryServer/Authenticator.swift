import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOPosix

/// Checks user names and passwords against the configured users (for Basic authentication, or for the token
/// service of token authentication).
struct Authenticator: Sendable {
    private enum Secret: Sendable {
        case plain(SHA256Digest)
        case bcrypt(String)
    }

    private let users: [String: Secret]?
    /// Whether registry requests themselves carry Basic credentials (false for token authentication, whose users
    /// authenticate at the token service).
    let requiresBasic: Bool
    /// bcrypt is slow on purpose: a password verified once is remembered (as a hash) for the registry's lifetime.
    private let verified = NIOLockedValueBox<[String: SHA256Digest]>([:])

    init(_ authentication: EmbeddedRegistry.Configuration.Authentication) throws {
        switch authentication {
        case .none:
            users = nil
            requiresBasic = false
        case .basic(let credentials):
            users = Self.plain(credentials)
            requiresBasic = true
        case .htpasswd(let file):
            users = try Self.htpasswd(file)
            requiresBasic = true
        case .token(let token):
            switch token.users {
            case .list(let credentials): users = Self.plain(credentials)
            case .htpasswd(let file): users = try Self.htpasswd(file)
            }
            requiresBasic = false
        }
    }

    private static func plain(_ credentials: [String: String]) -> [String: Secret] {
        credentials.mapValues { .plain(SHA256.hash(data: Data($0.utf8))) }
    }

    private static func htpasswd(_ file: URL) throws -> [String: Secret] {
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
        return users
    }

    /// The user and password of a Basic `Authorization` header, nil when it is missing or malformed.
    static func basicCredentials(_ authorization: String?) -> (user: String, password: String)? {
        guard let authorization, authorization.count < 4096 else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let decoded = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
            let text = String(data: decoded, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// The authenticated user for a Basic `Authorization` header, nil when the credentials are missing or wrong.
    func user(for authorization: String?) async -> String? {
        guard let (user, password) = Self.basicCredentials(authorization) else { return nil }
        return await check(user: user, password: password) ? user : nil
    }

    /// Whether a user's password is right.
    func check(user: String, password: String) async -> Bool {
        guard let users, password.utf8.count <= 1024 else { return false }
        switch users[user] {
        case .plain(let expected):
            let given = SHA256.hash(data: Data(password.utf8))
            // Compare hashes, so the time taken does not depend on where the passwords differ.
            return given == expected
        case .bcrypt(let hash):
            let given = SHA256.hash(data: Data(password.utf8))
            if verified.withLockedValue({ $0[user] }) == given { return true }
            // bcrypt takes a while by design: off the cooperative threads that serve other requests.
            let matches = try? await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password: password, hash: hash) }
            guard matches == true else { return false }
            verified.withLockedValue { $0[user] = given }
            return true
        case nil:
            return false
        }
    }
}
