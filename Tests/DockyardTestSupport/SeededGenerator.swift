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
