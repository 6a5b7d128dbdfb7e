import Foundation

/// Decoding helpers that accept the value types the Hub actually sends where its spec says otherwise (numbers as
/// strings, booleans as strings, `null` for non-null fields, a single object for an array).
extension KeyedDecodingContainer {
    func lenientString(_ key: Key) -> String? {
        if let value = try? decodeIfPresent(String.self, forKey: key) { return value }
        if let value = try? decodeIfPresent(Int64.self, forKey: key) { return String(value) }
        if let value = try? decodeIfPresent(Double.self, forKey: key) { return String(value) }
        if let value = try? decodeIfPresent(Bool.self, forKey: key) { return String(value) }
        return nil
    }

    func lenientInt(_ key: Key) -> Int? {
        if let value = try? decodeIfPresent(Int.self, forKey: key) { return value }
        if let value = try? decodeIfPresent(Double.self, forKey: key), value.isFinite, abs(value) < 9e18 { return Int(value) }
        if let value = try? decodeIfPresent(String.self, forKey: key) { return Int(value.trimmingCharacters(in: .whitespaces)) }
        return nil
    }

    func lenientInt64(_ key: Key) -> Int64? {
        if let value = try? decodeIfPresent(Int64.self, forKey: key) { return value }
        if let value = try? decodeIfPresent(Double.self, forKey: key), value.isFinite, abs(value) < 9e18 { return Int64(value) }
        if let value = try? decodeIfPresent(String.self, forKey: key) { return Int64(value.trimmingCharacters(in: .whitespaces)) }
        return nil
    }

    func lenientBool(_ key: Key) -> Bool? {
        if let value = try? decodeIfPresent(Bool.self, forKey: key) { return value }
        if let value = try? decodeIfPresent(Int.self, forKey: key) { return value != 0 }
        if let value = try? decodeIfPresent(String.self, forKey: key) {
            switch value.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: return nil
            }
        }
        return nil
    }

    /// An ISO 8601 string or a unix time (integer or float); `nil` when absent, `null` or unreadable.
    func lenientDate(_ key: Key) -> Date? {
        if let seconds = try? decodeIfPresent(Double.self, forKey: key), seconds.isFinite {
            return Date(timeIntervalSince1970: seconds)
        }
        if let text = try? decodeIfPresent(String.self, forKey: key) {
            if let date = HubJSON.parseDate(text) { return date }
            if let seconds = Double(text), seconds.isFinite { return Date(timeIntervalSince1970: seconds) }
        }
        return nil
    }

    /// An array, or a single object standing for a one-element array; elements that do not decode are skipped.
    func lenientArray<Element: Decodable>(_ type: Element.Type, _ key: Key) -> [Element] {
        if let values = try? decodeIfPresent([LenientElement<Element>].self, forKey: key) { return values.compactMap(\.value) }
        if let value = try? decodeIfPresent(Element.self, forKey: key) { return [value] }
        return []
    }

    func lenient<Value: Decodable>(_ type: Value.Type, _ key: Key) -> Value? {
        (try? decodeIfPresent(Value.self, forKey: key)) ?? nil
    }
}

/// An element that decodes to `nil` instead of failing the whole array.
struct LenientElement<Value: Decodable>: Decodable {
    var value: Value?
    init(from decoder: any Decoder) throws {
        value = try? Value(from: decoder)
    }
}
