import DockyardReferences

/// Validation of the names a request carries (distribution-spec `spec.md`, "Pulling manifests": the `<name>` and
/// `<reference>` grammars).
enum RegistryNames {
    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`, at most 255 characters.
    static func isValidRepository(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255 else { return false }
        for component in name.split(separator: "/", omittingEmptySubsequences: false) {
            guard isValidComponent(component.utf8) else { return false }
        }
        return true
    }

    private static func isAlnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) }

    private static func isValidComponent(_ bytes: Substring.UTF8View) -> Bool {
        let chars = Array(bytes)
        guard let first = chars.first, let last = chars.last, isAlnum(first), isAlnum(last) else { return false }
        var index = 0
        while index < chars.count {
            let c = chars[index]
            if isAlnum(c) {
                index += 1
                continue
            }
            // A separator run: ".", "_", "__" or one or more "-", always followed by an alphanumeric.
            var end = index
            if c == UInt8(ascii: ".") {
                end = index + 1
            } else if c == UInt8(ascii: "_") {
                end = index + 1
                if end < chars.count, chars[end] == UInt8(ascii: "_") { end += 1 }
            } else if c == UInt8(ascii: "-") {
                while end < chars.count, chars[end] == UInt8(ascii: "-") { end += 1 }
            } else {
                return false
            }
            guard end < chars.count, isAlnum(chars[end]) else { return false }
            index = end
        }
        return true
    }

    /// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
    static func isValidTag(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        guard let first = bytes.first, bytes.count <= 128 else { return false }
        func word(_ c: UInt8) -> Bool {
            (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "_")
        }
        guard word(first) else { return false }
        return bytes.dropFirst().allSatisfy { word($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// A validated digest string (sha256 or sha512), or nil.
    static func digest(_ text: String) -> ContentDigest? {
        try? ContentDigest(parsing: text)
    }
}
