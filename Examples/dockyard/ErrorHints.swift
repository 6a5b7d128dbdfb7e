import Dockyard

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
                return "allow it with --insecure NAME"
            default:
                return nil
            }
        default:
            return nil
        }
    }

    /// The error's description followed by the CLI's hint, if any.
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        guard let hint = hint(for: error) else { return text }
        return text + " (\(hint))"
    }
}
