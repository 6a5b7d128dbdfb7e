import Foundation

/// Everything `dockyard` prints goes through here, so JSON and text output stay consistent.
enum Output {
    /// Writes a line to stdout.
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Writes raw bytes to stdout.
    static func raw(_ bytes: some Sequence<UInt8>) {
        FileHandle.standardOutput.write(Data(bytes))
    }

    /// Writes one JSON document (one line) to stdout. Keys are sorted so output is stable.
    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        line(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Writes a JSON object given as ordered pairs, keeping `null` for absent values (one line).
    static func jsonObject(_ pairs: KeyValuePairs<String, JSONValue>) {
        line(JSONValue.object(pairs.map { ($0.key, $0.value) }).rendered)
    }

    /// Writes a one-line error to stderr: `dockyard: <message>`, with the CLI's hint (``ErrorHints``).
    static func error(_ error: any Error) {
        let text = ErrorHints.describe(error).replacingOccurrences(of: "\n", with: " ")
        FileHandle.standardError.write(Data("dockyard: \(text)\n".utf8))
    }

    /// Writes a message to stderr.
    static func diagnostic(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Formats rows as a left-aligned table with the given headers.
    static func table(headers: [String], rows: [[String]]) -> String {
        let all = [headers] + rows
        let widths = headers.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "   ")
        }.joined(separator: "\n")
    }
}

/// A small JSON value for output where key order and explicit `null`s matter.
enum JSONValue {
    case string(String)
    case number(Double)
    case int(Int64)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// A string, or `null` when `nil`.
    static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    /// The compact JSON text.
    var rendered: String {
        switch self {
        case .string(let s): return JSONValue.quote(s)
        case .number(let d): return d.isFinite ? String(d) : "null"
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map(\.rendered).joined(separator: ",") + "]"
        case .object(let pairs): return "{" + pairs.map { JSONValue.quote($0.0) + ":" + $0.1.rendered }.joined(separator: ",") + "}"
        }
    }

    private static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20: out += String(format: "\\u%04x", c.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
