import Foundation
import Testing

/// A deterministic random number generator (SplitMix64): the same seed gives the same sequence, so a test that
/// draws random inputs from it reproduces its failures.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    /// The generator's state; the seed before the first draw.
    public var state: UInt64

    /// Creates a generator.
    ///
    /// - Parameter state: The seed.
    public init(state: UInt64) {
        self.state = state
    }

    /// Draws the next value.
    ///
    /// - Returns: A pseudo-random 64-bit value.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Seeds for random test input that a failure can be reproduced from.
///
/// ``make(_:)`` draws a fresh seed (so that tests running side by side get different content) and prints it with
/// the test's name, so the log of a failing run names it; `DOCKYARD_TEST_SEED` (decimal or `0x` hex) fixes every
/// seed to reproduce a run.
public enum TestSeed {
    /// A seed for `what`, printed with the current test's name.
    ///
    /// - Parameter what: What the seed makes, for the printed line, e.g. `"layer bytes"`.
    /// - Returns: `DOCKYARD_TEST_SEED` when set, otherwise a random non-zero seed.
    public static func make(_ what: String) -> UInt64 {
        let seed = fixed ?? UInt64.random(in: 1..<UInt64.max)
        let test = Test.current?.name ?? "-"
        print("seed 0x\(String(seed, radix: 16)) for \(what) in \(test) (DOCKYARD_TEST_SEED=0x\(String(seed, radix: 16)) reproduces it)")
        return seed
    }

    /// `DOCKYARD_TEST_SEED`, when set and valid.
    public static var fixed: UInt64? {
        guard let text = ProcessInfo.processInfo.environment["DOCKYARD_TEST_SEED"] else { return nil }
        return text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
    }
}
