import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand {
    /// `dockyard search TERM [--limit N] [--filter …] [--no-trunc]`, like `docker search`.
    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Search Docker Hub for images, as docker search does.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions

        @Argument(help: "The search term.")
        var term: String

        @Option(help: "Max number of search results (1–100).")
        var limit = 25

        @Option(name: .shortAndLong, help: ArgumentHelp("Filter output: is-official=true|false, stars=N (repeatable).", valueName: "FILTER"))
        var filter: [String] = []

        @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.")
        var noTrunc = false

        func validate() throws {
            guard (1...100).contains(limit) else { throw ValidationError("limit \(limit) is outside the range of [1, 100]") }
            do { _ = try HubSearchFilters(parsing: filter) } catch { throw ValidationError(error.description) }
        }

        func run() async throws {
            let filters = try HubSearchFilters(parsing: filter)
            let results = try await HubCLI.withClient(global, hub) { client in
                try await client.search(term, limit: limit, filters: filters)
            }
            try HubCLI.printList(results, global: global, headers: ["NAME", "DESCRIPTION", "STARS", "OFFICIAL"]) { result in
                [result.name, result.displayDescription(truncate: !noTrunc), String(result.starCount), result.isOfficial ? "[OK]" : ""]
            }
        }
    }
}
