import Foundation

/// One entry of the `errors[]` body a registry answers a failed request with.
///
/// The registry client and the blob client both decode error bodies with ``decodeList(from:)``, so both report
/// the same codes and messages.
///
/// See the OCI distribution specification, "Error Codes".
public struct DistributionError: Sendable, Hashable, Codable {
    /// The error code as the registry spells it, for example `MANIFEST_UNKNOWN` or `DIGEST_INVALID`.
    public var code: String
    /// The registry's human-readable message.
    public var message: String?
    /// The `detail` value: a string as it came, anything else rendered as compact JSON text.
    public var detail: String?

    /// Creates an entry.
    ///
    /// - Parameters:
    ///   - code: The error code.
    ///   - message: The message.
    ///   - detail: The detail as text.
    public init(code: String, message: String? = nil, detail: String? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
    }

    /// Decodes an `errors[]` body, tolerating anything else: a body that is not such a document, or entries
    /// without a code, give no entries.
    ///
    /// - Parameter body: The response body's bytes (callers read at most a bounded prefix).
    /// - Returns: The entries that have a code, in order.
    public static func decodeList(from body: [UInt8]) -> [DistributionError] {
        guard !body.isEmpty,
            let decoded = try? JSONDecoder().decode(Body.self, from: Data(body)), let entries = decoded.errors
        else { return [] }
        return entries.compactMap { entry in
            guard let code = entry.code, !code.isEmpty else { return nil }
            return DistributionError(code: code, message: entry.message, detail: entry.detail?.text)
        }
    }

    /// The entry as a registry would write it: `CODE: message`, or the code alone.
    var summary: String { message.map { "\(code): \($0)" } ?? code }

    /// The wire form of an `errors[]` body.
    private struct Body: Decodable {
        struct Entry: Decodable {
            var code: String?
            var message: String?
            var detail: AnyJSON?
        }
        var errors: [Entry]?
    }

    /// Any JSON value, kept only to render it back as compact text.
    private struct AnyJSON: Decodable {
        /// The value as JSON text.
        let json: String
        /// The value itself when it is a string.
        let string: String?

        /// The text shown as a detail: a string as it is, anything else as JSON.
        var text: String { string ?? json }

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            var string: String?
            if container.decodeNil() {
                json = "null"
            } else if let value = try? container.decode(String.self) {
                string = value
                json = AnyJSON.quoted(value)
            } else if let value = try? container.decode(Bool.self) {
                json = String(value)
            } else if let value = try? container.decode(Int64.self) {
                json = String(value)
            } else if let value = try? container.decode(Double.self) {
                json = String(value)
            } else if let value = try? container.decode([String: AnyJSON].self) {
                json = "{" + value.sorted { $0.key < $1.key }
                    .map { AnyJSON.quoted($0.key) + ":" + $0.value.json }.joined(separator: ",") + "}"
            } else if let value = try? container.decode([AnyJSON].self) {
                json = "[" + value.map(\.json).joined(separator: ",") + "]"
            } else {
                json = "null"
            }
            self.string = string
        }

        private static func quoted(_ value: String) -> String {
            let data = (try? JSONEncoder().encode(value)) ?? Data("\"\"".utf8)
            return String(decoding: data, as: UTF8.self)
        }
    }
}
