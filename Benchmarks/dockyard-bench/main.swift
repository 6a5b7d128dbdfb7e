// dockyard-bench: micro-benchmarks of Dockyard, run as a program (never as timed tests).
//
//   swift run -c release dockyard-bench                      # every benchmark
//   swift run -c release dockyard-bench references [-n N]    # one benchmark, N operations per mode
//   dockyard-bench --reference-inputs | go-reference          # Go's distribution/reference on the same inputs
//
// Each benchmark prints one line per case: name, operations, total time and nanoseconds per operation.

import Dockyard

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A benchmark: a name and a body that takes the number of operations to run.
struct Benchmark {
    var name: String
    var summary: String
    var defaultOperations: Int
    var run: (_ operations: Int) -> Void
}

/// Keeps results alive so the optimizer cannot drop the measured work.
nonisolated(unsafe) var sink = 0

/// Times `body` over `operations` calls and prints one result line.
func measure(_ label: String, operations: Int, _ body: (Int) -> Int) {
    let clock = ContinuousClock()
    _ = body(0)  // warm up caches and lazy globals
    var accumulated = 0
    let elapsed = clock.measure {
        for index in 0..<operations { accumulated &+= body(index) }
    }
    sink &+= accumulated
    let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    let perOperation = nanoseconds / Double(max(operations, 1))
    let padded = label.count < 34 ? label + String(repeating: " ", count: 34 - label.count) : label
    print("\(padded) \(operations) ops  \(format3(nanoseconds / 1e6)) ms  \(format1(perOperation)) ns/op")
}

func format3(_ value: Double) -> String { formatFixed(value, digits: 3) }
func format1(_ value: Double) -> String { formatFixed(value, digits: 1) }

func formatFixed(_ value: Double, digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
    }
    return text
}

// MARK: - references

/// A mix of the references tools see: familiar names, tags, digests, registries with ports, IPv6, and
/// a few invalid ones (errors are part of the cost).
let referenceInputs: [String] = [
    "ubuntu",
    "ubuntu:24.04",
    "library/nginx:1.27-alpine",
    "docker.io/library/redis:7",
    "index.docker.io/team/app:v1.2.3",
    "ghcr.io/swiftlang/swift:6.1-noble",
    "registry.example.com:5000/team/service/api:2024.11.28",
    "localhost:5000/app@sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b",
    "[::1]:5000/app:dev",
    "quay.io/org/app:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
    "Uppercase/Name:tag",
    "bad..name:tag",
]

let referenceBenchmark = Benchmark(
    name: "references",
    summary: "parse a mixed list of image references in every mode, and digests",
    defaultOperations: 200_000
) { operations in
    let count = referenceInputs.count
    for mode in ReferenceParseMode.allCases {
        measure("reference.\(mode)", operations: operations) { index in
            let input = referenceInputs[index % count]
            do throws(ReferenceError) {
                return try AnyReference(parsing: input, mode: mode).description.utf8.count
            } catch {
                return error.code.utf8.count
            }
        }
    }
    let digests = [
        "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b",
        "sha512:" + String(repeating: "ab", count: 64),
        "sha256:6C3C624B58DBBCD3C0DD82B4C53F04194D1247C6EEBDAAB7C610CF7D66709B3B",
        "md5:d41d8cd98f00b204e9800998ecf8427e",
    ]
    measure("digest.parse", operations: operations) { index in
        (try? ContentDigest(parsing: digests[index % digests.count]))?.encoded.utf8.count ?? 0
    }
    let familiar = referenceInputs.compactMap { try? ImageReference(normalizing: $0) }
    measure("reference.familiar", operations: operations) { index in
        familiar[index % familiar.count].familiar.utf8.count
    }
    let pattern = (try? FamiliarPattern("team/*")) ?? (try? FamiliarPattern("*"))
    measure("reference.familiarMatch", operations: operations) { index in
        (pattern?.matches(familiar[index % familiar.count]) ?? false) ? 1 : 0
    }
}

let hashBenchmark = Benchmark(
    name: "digests",
    summary: "hash with DigestHasher (sha256, sha512) in 1 MiB chunks, and sha256 in 16 KiB chunks (openssl speed's size, which stay in the core's cache); ops = MiB",
    defaultOperations: 256
) { operations in
    let chunk = [UInt8](repeating: 0x5A, count: 1 << 20)
    for algorithm in ContentDigest.Algorithm.allCases {
        var hasher = DigestHasher(algorithm: algorithm)
        measure("hash.\(algorithm) (1 MiB)", operations: operations) { _ in
            chunk.withUnsafeBytes { hasher.update(bytes: $0) }
            return 1
        }
        sink &+= hasher.finalize().encoded.utf8.count
    }
    // The same 16 KiB hashed 64 times per MiB, as `openssl speed -bytes 16384` does.
    let small = [UInt8](repeating: 0x5A, count: 16 << 10)
    var hasher = DigestHasher(algorithm: .sha256)
    measure("hash.sha256 (16 KiB)", operations: operations) { _ in
        small.withUnsafeBytes { bytes in
            for _ in 0..<64 { hasher.update(bytes: bytes) }
        }
        return 1
    }
    sink &+= hasher.finalize().encoded.utf8.count
}

let benchmarks = [referenceBenchmark, hashBenchmark]

// MARK: - Command line

@MainActor func usage() -> Never {
    print("usage: dockyard-bench [BENCHMARK...] [-n OPERATIONS]\n\nbenchmarks:")
    for benchmark in benchmarks { print("  \(benchmark.name)  \(benchmark.summary) (default \(benchmark.defaultOperations))") }
    exit(2)
}

var selected: [String] = []
var operationsOverride: Int?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "-n", "--operations":
        guard let value = arguments.popFirst().flatMap({ Int($0) }), value > 0 else { usage() }
        operationsOverride = value
    case "--reference-inputs":
        // The inputs of `references`, one a line, for the Go harness (Benchmarks/go-reference) to parse the same.
        for input in referenceInputs { print(input) }
        exit(0)
    case "-h", "--help":
        usage()
    default:
        guard benchmarks.contains(where: { $0.name == argument }) else {
            print("dockyard-bench: unknown benchmark '\(argument)'")
            usage()
        }
        selected.append(argument)
    }
}

#if DEBUG
print("note: debug build; use `swift run -c release dockyard-bench` for representative figures")
#endif
for benchmark in benchmarks where selected.isEmpty || selected.contains(benchmark.name) {
    print("== \(benchmark.name): \(benchmark.summary)")
    benchmark.run(operationsOverride ?? benchmark.defaultOperations)
}
if sink == 42 { print("") }  // use the sink
