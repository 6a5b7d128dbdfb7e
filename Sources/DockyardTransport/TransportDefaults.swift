import Logging

/// Defaults shared by every transport and client of the SDK, whichever HTTP implementation sends the bytes.
public enum TransportDefaults {
    /// The `User-Agent` Dockyard sends by default.
    public static let userAgent = "dockyard/0.1 (swift)"

    /// A logger labelled `dockyard.transport` that discards every message; the default of every `logger:`
    /// parameter of the transport layer.
    public static var silentLogger: Logger {
        Logger(label: "dockyard.transport", factory: { _ in SwiftLogNoOpLogHandler() })
    }
}
