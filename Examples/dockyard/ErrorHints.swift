import Dockyard
import Foundation

/// What the CLI adds to an SDK error: the `dockyard` command or flag that helps. SDK errors speak of the SDK
/// only (its configuration and calls); the command-line words are added here.
enum ErrorHints {
    /// The hint for an error, or `nil` when the CLI has nothing to add.
    ///
    /// - Parameter error: An error a command threw.
    /// - Returns: A sentence naming a command or flag.
    static func hint(for error: any Error) -> String? {
        switch error {
        case let error as TransportError:
            switch error.code {
            case .tlsFailed where error.message.contains("not trusted"):
                return "pass the CA with --ca-file"
            case .tlsFailed where error.message.contains("does not speak TLS"):
                return "for a plain-HTTP registry use --insecure NAME or --endpoint NAME=http://…"
            case .insecureRefused:
                return "allow it with --insecure \(refusedHost(in: error.message) ?? "NAME")"
            case .timedOut where error.message.contains("deadline"):
                return "for a slow registry, allow more time with --request-timeout SECONDS"
            default:
                return nil
            }
        case let error as RegistryError:
            switch error.code {
            case .manifestUnknown:
                return "list the tags with `dockyard tags`"
            case .denied, .unauthorized, .tooManyRequests:
                return "log in with `\(loginCommand(error.registryName))`"
            case .invalidConfiguration where error.description.contains("insecureRegistries"):
                return "allow a plain-HTTP registry with --insecure NAME"
            case .invalidConfiguration where error.description.contains("credential provider"):
                return "log in with `dockyard login`"
            default:
                return nil
            }
        case let error as AuthError:
            guard error.code == .invalidCredentials || error.code == .credentialsRequired else { return nil }
            return "log in again with `\(loginCommand(error.registry ?? "docker.io"))`"
        case let error as BlobTransferError:
            guard error.code == .unauthorized || error.code == .denied else { return nil }
            return "log in with `dockyard login REGISTRY`"
        case let error as HubAPIError:
            switch error.code {
            case .unauthorized, .notLoggedIn: return "log in with `dockyard hub login`"
            case .twoFactorRequired: return "pass the code with --otp"
            case .invalidArgument where error.message.contains("refusing to send a webhook callback"):
                return "allow the host with --allow-callback-host HOST if you trust it"
            default: return nil
            }
        default:
            return nil
        }
    }

    /// `dockyard login`, naming the registry unless it is Docker Hub (the command's default).
    static func loginCommand(_ registry: String) -> String {
        registry == "docker.io" ? "dockyard login" : "dockyard login \(registry)"
    }

    /// The host of "refusing plain HTTP to HOST: …" (HOST may hold a port, so the separator is ": ").
    private static func refusedHost(in message: String) -> String? {
        let prefix = "refusing plain HTTP to "
        guard message.hasPrefix(prefix) else { return nil }
        let rest = message.dropFirst(prefix.count)
        guard let separator = rest.range(of: ": ") else { return nil }
        return String(rest[..<separator.lowerBound])
    }

    /// The error's description followed by the CLI's hint, if any.
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        guard let hint = hint(for: error) else { return text }
        return text + " (\(hint))"
    }
}
