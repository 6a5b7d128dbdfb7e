import Logging

extension Logger {
    /// A logger that writes Dockyard's `debug` messages (one line per request, never a credential) to standard
    /// error when `verbose`, and discards everything otherwise; for command-line tools.
    ///
    /// ```swift
    /// let client = try RegistryClient(logger: .dockyardStandardError(verbose: true))
    /// ```
    ///
    /// - Parameters:
    ///   - label: The logger's label.
    ///   - verbose: Whether `debug` messages are written.
    /// - Returns: The logger.
    public static func dockyardStandardError(label: String = "dockyard", verbose: Bool) -> Logger {
        var logger = Logger(label: label, factory: { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .debug
            return handler
        })
        logger.logLevel = verbose ? .debug : .critical
        return logger
    }
}
