extension Platform {
    /// The platforms a host of this platform can run, best first, as containerd's `platforms.Only`:
    ///
    /// - `amd64/vN` runs `amd64/vN` … `amd64` (v1), then `386`;
    /// - `arm/vN` runs `arm/vN` down to `arm/v5`;
    /// - `arm64/v8.x` runs `arm64/v8.x` down to `arm64` (v8), then 32-bit `arm/v8` … `arm/v5`;
    ///   `arm64/v9.x` also runs `arm64/v8.(x+5)` and below;
    /// - anything else runs only itself.
    ///
    /// Every element is ``normalized``.
    public var compatiblePlatforms: [Platform] {
        Platform.compatibilityVector(normalized).map(\.normalized)
    }

    private static let arm64Versions: [String: [(major: Int, minor: Int)]] = {
        var table: [String: [(major: Int, minor: Int)]] = [:]
        for minor in 0...9 {
            table["v8.\(minor)"] = [(8, minor)]
        }
        table["v8"] = [(8, 0)]
        let nineToEight = [5, 6, 7, 8, 9, 9, 9, 9]
        for minor in 0...7 {
            table["v9.\(minor)"] = [(9, minor), (8, nineToEight[minor])]
        }
        table["v9"] = [(9, 0), (8, 5)]
        return table
    }()

    private static func compatibilityVector(_ platform: Platform) -> [Platform] {
        func with(_ architecture: String, _ variant: String?) -> Platform {
            var copy = platform
            copy.architecture = architecture
            copy.variant = variant
            return copy
        }
        let variant = platform.variant ?? ""
        switch platform.architecture {
        case "amd64":
            var vector = [platform]
            if variant.hasPrefix("v"), let level = Int(variant.dropFirst()), level > 1 {
                for lower in stride(from: level - 1, through: 1, by: -1) {
                    vector.append(with("amd64", "v\(lower)"))
                }
            }
            vector.append(with("386", nil))
            return vector
        case "arm":
            var vector = [platform]
            if variant.hasPrefix("v"), let level = Int(variant.dropFirst()), level > 5 {
                for lower in stride(from: level - 1, through: 5, by: -1) {
                    vector.append(with("arm", "v\(lower)"))
                }
            }
            return vector
        case "arm64":
            let effective = variant.isEmpty ? "v8" : variant
            guard let versions = arm64Versions[effective] else { return [platform] }
            var vector: [Platform] = []
            for version in versions {
                for minor in stride(from: version.minor, through: 0, by: -1) {
                    vector.append(with("arm64", minor == 0 ? "v\(version.major)" : "v\(version.major).\(minor)"))
                }
            }
            vector += compatibilityVector(with("arm", "v8"))
            return vector
        default:
            return [platform]
        }
    }

    /// Whether a host of this platform can run an image built for `candidate` (containerd's `Only(self).Match`).
    ///
    /// Both platforms are normalised first, so `linux/arm64` matches `linux/arm64/v8` and `linux/aarch64`.
    /// On Windows, when both sides give an ``osVersion``, their `major.minor.build` must be equal.
    ///
    /// - Parameter candidate: The platform an image was built for.
    /// - Returns: `true` when the image can run here.
    public func canRun(_ candidate: Platform) -> Bool {
        compatibilityRank(of: candidate) != nil
    }

    /// How well an image built for `candidate` suits a host of this platform: 0 for an exact match, higher for
    /// less preferred compatible platforms (`arm/v6` on an `arm/v7` host), `nil` when it cannot run here.
    ///
    /// - Parameter candidate: The platform an image was built for.
    /// - Returns: The rank, or `nil`.
    public func compatibilityRank(of candidate: Platform) -> Int? {
        let wanted = normalized
        let offered = candidate.normalized
        if wanted.os == "windows", let mine = wanted.osVersion, let theirs = offered.osVersion,
            Platform.windowsBuildPrefix(mine) != Platform.windowsBuildPrefix(theirs)
        {
            return nil
        }
        return compatiblePlatforms.firstIndex { option in
            option.os == offered.os && option.architecture == offered.architecture && option.variant == offered.variant
        }
    }

    private static func windowsBuildPrefix(_ version: String) -> String {
        version.split(separator: ".").prefix(3).joined(separator: ".")
    }
}
