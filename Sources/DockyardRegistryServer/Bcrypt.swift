/// bcrypt password hashes (`$2a$`, `$2b$`, `$2y$`), as `htpasswd -B` writes them: verification only.
///
/// Implements EksBlowfish as described by Provos and Mazières, "A Future-Adaptable Password Scheme" (USENIX 1999),
/// with the OpenBSD conventions: the key is the password's bytes plus a NUL, at most 72 bytes; the output is
/// 23 bytes of `OrpheanBeholderScryDoubt` encrypted 64 times, in bcrypt's base64 alphabet.
enum Bcrypt {
    private static let alphabet = Array("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    static func isBcryptHash(_ hash: String) -> Bool {
        parse(hash) != nil
    }

    /// True when `password` hashes to `hash`.
    static func verify(password: String, hash: String) -> Bool {
        guard let (prefix, cost, salt) = parse(hash) else { return false }
        var key = Array(password.utf8)
        key.append(0)
        if key.count > 72 { key = Array(key.prefix(72)) }
        let computed = prefix + encode(salt, count: 16) + encode(Array(hashBytes(key: key, salt: salt, cost: cost).prefix(23)), count: 23)
        // Constant-time comparison of the whole string.
        let a = Array(computed.utf8)
        let b = Array(hash.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// `$2b$10$` prefix, cost and 16 salt bytes of a well-formed hash.
    private static func parse(_ hash: String) -> (String, Int, [UInt8])? {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
            [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]), bytes[3] == UInt8(ascii: "$"),
            bytes[6] == UInt8(ascii: "$"),
            let tens = digit(bytes[4]), let ones = digit(bytes[5])
        else { return nil }
        let cost = tens * 10 + ones
        guard (4...31).contains(cost), let salt = decode(Array(bytes[7..<29]), count: 16),
            decode(Array(bytes[29..<60]), count: 23) != nil
        else { return nil }
        return (String(decoding: bytes[0..<7], as: UTF8.self), cost, salt)
    }

    private static func digit(_ c: UInt8) -> Int? {
        c >= 0x30 && c <= 0x39 ? Int(c - 0x30) : nil
    }

    private static func encode(_ data: [UInt8], count: Int) -> String {
        var out: [UInt8] = []
        var index = 0
        while index < count {
            let c1 = data[index]
            index += 1
            out.append(alphabet[Int(c1 >> 2)])
            var c = (c1 & 0x03) << 4
            if index >= count {
                out.append(alphabet[Int(c)])
                break
            }
            let c2 = data[index]
            index += 1
            c |= c2 >> 4
            out.append(alphabet[Int(c)])
            c = (c2 & 0x0f) << 2
            if index >= count {
                out.append(alphabet[Int(c)])
                break
            }
            let c3 = data[index]
            index += 1
            c |= c3 >> 6
            out.append(alphabet[Int(c)])
            out.append(alphabet[Int(c3 & 0x3f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func decode(_ text: [UInt8], count: Int) -> [UInt8]? {
        var values: [UInt8] = []
        for c in text {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            values.append(UInt8(v))
        }
        var out: [UInt8] = []
        var index = 0
        while out.count < count, index + 1 < values.count {
            let (a, b) = (values[index], values[index + 1])
            out.append((a << 2) | (b >> 4))
            if out.count >= count || index + 2 >= values.count { break }
            let c = values[index + 2]
            out.append((b << 4) | (c >> 2))
            if out.count >= count || index + 3 >= values.count { break }
            let d = values[index + 3]
            out.append((c << 6) | d)
            index += 4
        }
        return out.count == count ? out : nil
    }

    private struct State {
        var p: [UInt32]
        var s: [UInt32]

        init() {
            p = Array(Bcrypt.piWords[0..<18])
            s = Array(Bcrypt.piWords[18..<1042])
        }

        @inline(__always) func f(_ x: UInt32) -> UInt32 {
            let a = s[Int(x >> 24)]
            let b = s[256 + Int((x >> 16) & 0xff)]
            let c = s[512 + Int((x >> 8) & 0xff)]
            let d = s[768 + Int(x & 0xff)]
            return ((a &+ b) ^ c) &+ d
        }

        @inline(__always) func encrypt(_ l: inout UInt32, _ r: inout UInt32) {
            var left = l
            var right = r
            for round in 0..<16 {
                left ^= p[round]
                right ^= f(left)
                swap(&left, &right)
            }
            swap(&left, &right)
            right ^= p[16]
            left ^= p[17]
            l = left
            r = right
        }

        static func word(_ data: [UInt8], _ position: inout Int) -> UInt32 {
            var word: UInt32 = 0
            for _ in 0..<4 {
                word = (word << 8) | UInt32(data[position])
                position = (position + 1) % data.count
            }
            return word
        }

        mutating func expand(key: [UInt8], salt: [UInt8]?) {
            var keyPosition = 0
            for index in 0..<18 { p[index] ^= State.word(key, &keyPosition) }
            var l: UInt32 = 0
            var r: UInt32 = 0
            var saltPosition = 0
            var index = 0
            while index < 18 {
                if let salt {
                    l ^= State.word(salt, &saltPosition)
                    r ^= State.word(salt, &saltPosition)
                }
                encrypt(&l, &r)
                p[index] = l
                p[index + 1] = r
                index += 2
            }
            index = 0
            while index < 1024 {
                if let salt {
                    l ^= State.word(salt, &saltPosition)
                    r ^= State.word(salt, &saltPosition)
                }
                encrypt(&l, &r)
                s[index] = l
                s[index + 1] = r
                index += 2
            }
        }
    }

    private static func hashBytes(key: [UInt8], salt: [UInt8], cost: Int) -> [UInt8] {
        var state = State()
        state.expand(key: key, salt: salt)
        for _ in 0..<(1 << cost) {
            state.expand(key: key, salt: nil)
            state.expand(key: salt, salt: nil)
        }
        var text: [UInt32] = []
        var position = 0
        let magic = Array("OrpheanBeholderScryDoubt".utf8)
        for _ in 0..<6 { text.append(State.word(magic, &position)) }
        for _ in 0..<64 {
            var index = 0
            while index < 6 {
                var l = text[index]
                var r = text[index + 1]
                state.encrypt(&l, &r)
                text[index] = l
                text[index + 1] = r
                index += 2
            }
        }
        var out: [UInt8] = []
        for word in text {
            out.append(UInt8(word >> 24))
            out.append(UInt8((word >> 16) & 0xff))
            out.append(UInt8((word >> 8) & 0xff))
            out.append(UInt8(word & 0xff))
        }
        return out
    }
}
