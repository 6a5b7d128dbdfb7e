import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An error building a layer or an image: unreadable input, an unusable path, a compression failure.
public struct LayerError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The code's name, such as `invalidPath`.
        public var description: String { name }

        /// A path in the image is empty, absolute outside `/`, or climbs out with `..`.
        public static let invalidPath = Code("invalidPath")
        /// A file changed size while it was being read, or is of a kind a layer cannot hold (socket, device).
        public static let unsupportedFile = Code("unsupportedFile")
        /// Reading or writing a file failed.
        public static let fileSystem = Code("fileSystem")
        /// zlib failed.
        public static let compression = Code("compression")
        /// An option or configuration value is out of range or malformed.
        public static let invalidValue = Code("invalidValue")
        /// The image has no manifest for the platform asked for: an index without a matching entry, or a
        /// single-platform image built for another platform.
        public static let platformUnavailable = Code("platformUnavailable")
    }

    /// What went wrong.
    public let code: Code
    /// What happened and what to do.
    public let message: String
    /// The file concerned, if any.
    public let path: String?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - message: What happened and what to do.
    ///   - path: The file concerned.
    public init(_ code: Code, _ message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    /// The message.
    public var description: String { message }

    static func system(_ number: Int32, _ action: String, path: String) -> LayerError {
        LayerError(.fileSystem, "\(action) \(path) failed: \(String(cString: strerror(number)))", path: path)
    }
}
