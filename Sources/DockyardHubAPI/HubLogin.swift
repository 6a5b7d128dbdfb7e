/// How a ``HubClient`` logs in to Docker Hub.
public enum HubLogin: Sendable, CustomStringConvertible {
    /// A username and its password, or a personal access token in place of the password.
    ///
    /// A secret that starts with `dckr_pat_` is sent as a personal access token. For a password, an account with
    /// two-factor authentication asks for a code through the closure given to ``HubClient/login(_:twoFactorCode:)``.
    case password(username: String, password: String)
    /// A personal access token (`dckr_pat_…`) of a user.
    case personalAccessToken(username: String, token: String)
    /// An organization access token (`dckr_oat_…`) of an organization.
    case organizationAccessToken(organization: String, token: String)
    /// A session token kept from an earlier login (for example one that needed a two-factor code).
    ///
    /// It cannot be renewed: when it expires, the next call fails with ``HubAPIError/Code/unauthorized``.
    case session(HubToken)

    /// A login from a name and a secret, its kind read from the secret as Docker Hub issues them: an
    /// organization access token (`dckr_oat_…`, the name is the organization), a personal access token
    /// (`dckr_pat_…`), or else a password.
    ///
    /// - Parameters:
    ///   - username: The Docker ID, or the organization for an organization access token.
    ///   - secret: The password or access token.
    public init(username: String, secret: String) {
        if secret.hasPrefix("dckr_oat_") {
            self = .organizationAccessToken(organization: username, token: secret)
        } else if secret.hasPrefix("dckr_pat_") {
            self = .personalAccessToken(username: username, token: secret)
        } else {
            self = .password(username: username, password: secret)
        }
    }

    /// The account name the login is for, when known.
    public var identifier: String? {
        switch self {
        case .password(let username, _), .personalAccessToken(let username, _): return username
        case .organizationAccessToken(let organization, _): return organization
        case .session(let token): return token.username
        }
    }

    /// A description without the secret.
    public var description: String {
        switch self {
        case .password(let username, _): return "password login for \(username)"
        case .personalAccessToken(let username, _): return "access-token login for \(username)"
        case .organizationAccessToken(let organization, _): return "organization-token login for \(organization)"
        case .session(let token): return "session \(token)"
        }
    }

    /// Whether the login can make a new token by itself.
    var isRenewable: Bool {
        if case .session = self { return false }
        return true
    }
}

/// Supplies a two-factor authentication code when the Hub asks for one.
public typealias HubTwoFactorCodeProvider = @Sendable () async throws -> String
