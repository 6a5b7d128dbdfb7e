import AsyncHTTPClient
import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

extension TransportError {
    /// Translates an error of AsyncHTTPClient, SwiftNIO or NIOSSL into a ``TransportError``.
    ///
    /// Errors that are already a ``TransportError``, cancellation, and errors of unknown origin (for example
    /// one thrown by a request body's own source) pass through unchanged.
    static func mapping(_ error: any Error, url: URL, during phase: Phase) -> any Error {
        if error is TransportError || error is CancellationError { return error }
        let target = url.loggableDescription
        let host = url.hostAndPort

        if let clientError = error as? HTTPClientError {
            switch clientError {
            case .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                return connectTimeout(host: host, underlying: error)
            case .readTimeout, .writeTimeout:
                return TransportError(
                    .timedOut,
                    message: "\(host) stopped sending or receiving data while \(phase.rawValue) \(target)",
                    underlying: error
                )
            case .deadlineExceeded:
                return TransportError(
                    .timedOut,
                    message: "the request to \(target) did not finish before its deadline",
                    underlying: error
                )
            case .cancelled:
                return CancellationError()
            case .remoteConnectionClosed:
                return TransportError(
                    .connectionFailed,
                    message: "\(host) closed the connection while \(phase.rawValue) \(target)",
                    underlying: error
                )
            case .bodyLengthMismatch:
                return TransportError(
                    .invalidRequest,
                    message: "the request body for \(target) did not have the length it declared",
                    underlying: error
                )
            case .invalidURL, .emptyHost, .emptyScheme:
                return TransportError(.invalidRequest, message: "invalid URL \(target)", underlying: error)
            case .alreadyShutdown:
                return TransportError(
                    .invalidRequest,
                    message: "the transport was already shut down when \(target) was requested",
                    underlying: error
                )
            default:
                if clientError == .unsupportedScheme(url.scheme ?? "") {
                    return TransportError(
                        .invalidRequest,
                        message: "unsupported URL scheme in \(target); use http or https",
                        underlying: error
                    )
                }
                return TransportError(
                    .connectionFailed,
                    message: "HTTP exchange with \(host) failed while \(phase.rawValue) \(target): "
                        + clientError.shortDescription,
                    underlying: error
                )
            }
        }

        if isTLSError(error) {
            let text = String(describing: error)
            if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed")
                || error as? NIOSSLError == .unableToValidateCertificate
            {
                return TransportError(
                    .tlsFailed,
                    message: "the server's TLS certificate for \(host) is not trusted; add the certificate authority "
                        + "that signed it to the trusted roots (`additionalTrustRoots` of the configuration)",
                    underlying: error
                )
            }
            if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
                return TransportError(
                    .tlsFailed,
                    message: "the server's TLS certificate is not valid for the name \(host); "
                        + "connect using a name the certificate lists",
                    underlying: error
                )
            }
            if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") {
                return TransportError(
                    .tlsFailed,
                    message: "TLS handshake with \(host) failed: the server does not speak TLS on this port; "
                        + "if it is a plain-HTTP registry, list it as insecure or give its endpoint as http://",
                    underlying: error
                )
            }
            if text.contains("UNSUPPORTED_PROTOCOL") || text.contains("PROTOCOL_VERSION") {
                return TransportError(
                    .tlsFailed,
                    message: "TLS handshake with \(host) failed: the server offers only a TLS version older than "
                        + "TLS 1.2, the minimum Dockyard accepts; the server's TLS configuration must be upgraded",
                    underlying: error
                )
            }
            return TransportError(
                .tlsFailed,
                message: "TLS with \(host) failed: \(text)",
                underlying: error
            )
        }

        if let channelError = error as? ChannelError {
            if case .connectTimeout = channelError { return connectTimeout(host: host, underlying: error) }
            return TransportError(
                .connectionFailed,
                message: "the connection to \(host) broke while \(phase.rawValue) \(target)",
                underlying: error
            )
        }

        if let ioError = error as? IOError {
            let reason: String
            switch ioError.errnoCode {
            case ECONNREFUSED: reason = "connection refused"
            case ECONNRESET: reason = "connection reset by peer"
            case EPIPE: reason = "broken pipe"
            case ETIMEDOUT: reason = "timed out"
            case EHOSTUNREACH, ENETUNREACH: reason = "host unreachable"
            default: reason = String(cString: strerror(ioError.errnoCode))
            }
            return TransportError(
                .connectionFailed,
                message: "the connection to \(host) failed while \(phase.rawValue) \(target): \(reason)",
                underlying: error
            )
        }

        if error is HTTPParserError {
            return TransportError(
                .connectionFailed,
                message: "\(host) sent a malformed HTTP response to \(target); "
                    + "if it is a TLS registry, use https://",
                underlying: error
            )
        }

        // Connection errors of NIOPosix (refused connections, DNS failures) are not imported here; recognise
        // them by their module.
        let typeName = String(reflecting: type(of: error))
        if typeName.hasPrefix("NIOPosix.") || typeName.hasPrefix("NIOCore.") || typeName.hasPrefix("AsyncHTTPClient.") {
            let detail = String(describing: error)
            let refused = detail.contains("refused") || detail.contains("ECONNREFUSED")
            return TransportError(
                .connectionFailed,
                message: refused
                    ? "could not connect to \(host): connection refused; check that the registry is running"
                    : "could not connect to \(host) while \(phase.rawValue) \(target): \(detail)",
                underlying: error
            )
        }
        return error
    }

    /// When an error happened.
    enum Phase: String {
        case sending = "requesting"
        case receiving = "reading the response of"
    }

    /// The error for a connection that could not be opened in time, whichever layer noticed it.
    private static func connectTimeout(host: String, underlying: any Error) -> TransportError {
        TransportError(
            .timedOut,
            message: "timed out connecting to \(host); check that the registry is reachable",
            underlying: underlying
        )
    }

    private static func isTLSError(_ error: any Error) -> Bool {
        if error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError { return true }
        return String(reflecting: type(of: error)).hasPrefix("NIOSSL.")
    }
}
