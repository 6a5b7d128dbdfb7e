/// Strict parsing of numbers that arrive in HTTP headers (`Content-Length`, `Range`, `OCI-Chunk-Min-Length`).
///
/// Swift's `Int64(_:)` accepts a sign (`-5`, `+5`); a header value with one makes no sense and must be refused,
/// not used. Every module that reads such a header parses it here.
package enum WireNumber {
    /// A non-negative decimal number of at most 19 digits (it fits an `Int64`), with no sign or space.
    ///
    /// - Parameter text: The header value or a part of it.
    /// - Returns: The number, or `nil` for anything else (empty, a sign, a space, a non-digit, too many digits,
    ///   more than `Int64.max`).
    package static func decimal(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 19, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int64(text)
    }

    /// ``decimal(_:)`` of a whole header value, ignoring surrounding spaces and tabs (RFC 9110 §5.5).
    ///
    /// - Parameter value: The header value.
    /// - Returns: The number, or `nil`.
    package static func decimal(header value: String) -> Int64? {
        var text = Substring(value)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return decimal(text)
    }
}
