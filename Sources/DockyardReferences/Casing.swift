/// Lowercasing with Go's `strings.ToLower` results where they matter to the grammar.
enum Casing {
    /// Whether lowercasing would change the text (an uppercase letter anywhere).
    static func hasUppercase(_ text: Substring) -> Bool {
        for scalar in text.unicodeScalars {
            if scalar.isASCII {
                if scalar.value >= 0x41 && scalar.value <= 0x5A { return true }
            } else if scalar.properties.changesWhenLowercased {
                return true
            }
        }
        return false
    }

    static func hasUppercase(_ text: String) -> Bool { hasUppercase(text[...]) }

    /// The text lowercased scalar by scalar. Go's simple case mapping sends U+0130 to `i` and the Kelvin sign to `k`,
    /// the only non-ASCII letters whose lowercase is ASCII; anything else non-ASCII never fits the grammar anyway.
    static func lowercased(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x41...0x5A: out.append(Unicode.Scalar(scalar.value + 0x20) ?? scalar)
            case 0x130: out.append("i")
            case 0x212A: out.append("k")
            case 0..<0x80: out.append(scalar)
            default:
                let mapped = scalar.properties.lowercaseMapping.unicodeScalars
                if mapped.count == 1, let only = mapped.first { out.append(only) } else { out.append(scalar) }
            }
        }
        return String(out)
    }
}
