import Foundation

/// A JSON value for the control APIs and request logs of the test servers.
///
/// The servers' control endpoints answer with loosely shaped JSON; `TestJSON` lets a test read any of it
/// (`state["cdn"]?["with_authorization"]?.int`) and write request bodies as literals
/// (`["scenario": "status", "status": 503, "times": 2]`).
public enum TestJSON: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number. Integers up to 2^53 are exact.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([TestJSON])
    /// An object.
    case object([String: TestJSON])

    /// Parses JSON text.
    ///
    /// - Parameter data: UTF-8 JSON.
    /// - Throws: `DecodingError` when the text is not JSON.
    public init(parsing data: Data) throws {
        self = try JSONDecoder().decode(TestJSON.self, from: data)
    }

    /// Parses JSON text.
    ///
    /// - Parameter text: JSON text.
    /// - Throws: `DecodingError` when the text is not JSON.
    public init(parsing text: String) throws {
        try self.init(parsing: Data(text.utf8))
    }

    /// The member `key` of an object, or `nil` when this is not an object or has no such member.
    public subscript(key: String) -> TestJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The element at `index` of an array, or `nil` when this is not an array or the index is out of range.
    public subscript(index: Int) -> TestJSON? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    /// The string, when this is a string.
    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number as an integer, when this is a number without a fractional part.
    public var int: Int? {
        if case .number(let value) = self, value.rounded() == value, abs(value) < 9.0e15 { return Int(value) }
        return nil
    }

    /// The number, when this is a number.
    public var double: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The Boolean, when this is `true` or `false`.
    public var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The elements, when this is an array.
    public var array: [TestJSON]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// The members, when this is an object.
    public var object: [String: TestJSON]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool { self == .null }

    /// Compact JSON text with sorted keys.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a TestJSON cannot fail: every case maps to a JSON value.
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }

    /// Decodes this value as `T`, for typed reading of a part of a document.
    ///
    /// - Parameter type: The type to decode.
    /// - Returns: The decoded value.
    /// - Throws: `DecodingError` when the value does not have `T`'s shape.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: encoded())
    }
}

extension TestJSON: Codable {
    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([TestJSON].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: TestJSON].self) {
            self = .object(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    /// Encodes the value as JSON.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 9.0e15 {
                try container.encode(Int64(value))
            } else {
                try container.encode(value)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension TestJSON: CustomStringConvertible {
    /// The compact JSON text.
    public var description: String { String(decoding: encoded(), as: UTF8.self) }
}

extension TestJSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// `null`.
    public init(nilLiteral: ()) { self = .null }
    /// A Boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An integer.
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    /// A number.
    public init(floatLiteral value: Double) { self = .number(value) }
    /// A string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An array.
    public init(arrayLiteral elements: TestJSON...) { self = .array(elements) }
    /// An object; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, TestJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

/// Reads JSON-lines files such as the servers' request logs.
public enum JSONLines {
    /// A position in a growing log file, to read only the lines written after it.
    public struct Mark: Sendable, Hashable {
        /// The byte offset.
        public var offset: UInt64

        /// A mark at `offset`.
        ///
        /// - Parameter offset: The byte offset.
        public init(offset: UInt64) { self.offset = offset }

        /// The beginning of a file.
        public static let start = Mark(offset: 0)
    }

    /// The current end of `file` (0 when it does not exist yet).
    ///
    /// - Parameter file: The log file.
    /// - Returns: A mark to pass to ``read(_:since:)``.
    public static func mark(_ file: URL) -> Mark {
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.uint64Value ?? 0
        return Mark(offset: size)
    }

    /// Every complete line of `file` written after `mark`, parsed as JSON.
    ///
    /// Lines that are not JSON (for example one being written right now) are skipped.
    ///
    /// - Parameters:
    ///   - file: The JSON-lines file.
    ///   - mark: Where to start; the beginning of the file by default.
    /// - Returns: The parsed lines, oldest first.
    /// - Throws: An error when the file exists but cannot be read.
    public static func read(_ file: URL, since mark: Mark = .start) throws -> [TestJSON] {
        guard FileManager.default.fileExists(atPath: file.path) else { return [] }
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        try handle.seek(toOffset: mark.offset)
        let data = try handle.readToEnd() ?? Data()
        return data.split(separator: UInt8(ascii: "\n")).compactMap { line in
            try? TestJSON(parsing: Data(line))
        }
    }

    /// Every line of `file` after `mark`, decoded as `T`; lines that do not decode are skipped.
    ///
    /// - Parameters:
    ///   - file: The JSON-lines file.
    ///   - type: The type of one line.
    ///   - mark: Where to start; the beginning of the file by default.
    /// - Returns: The decoded lines, oldest first.
    /// - Throws: An error when the file exists but cannot be read.
    public static func read<T: Decodable>(_ file: URL, as type: T.Type, since mark: Mark = .start) throws -> [T] {
        try read(file, since: mark).compactMap { try? $0.decode(T.self) }
    }
}
