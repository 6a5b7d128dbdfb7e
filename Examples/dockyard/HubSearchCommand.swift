import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand {
    /// `dockyard search TERM [--limit N] [--filter …] [--no-trunc] [--format …]`, like `docker search`.
    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Search Docker Hub for images, as docker search does.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions

        @Argument(help: "The search term.")
        var term: String

        @Option(help: "Max number of search results (1–100).")
        var limit = 25

        @Option(name: .shortAndLong, help: ArgumentHelp("Filter output: is-official=true|false, is-automated=true|false, stars=N (repeatable).", valueName: "FILTER"))
        var filter: [String] = []

        @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.")
        var noTrunc = false

        @Option(help: ArgumentHelp(
            "Pretty-print results with a Go-template-style format: {{.Name}} {{.Description}} {{.StarCount}} {{.IsOfficial}} {{.IsAutomated}}; start with 'table' for a table with headers.",
            valueName: "STRING"))
        var format: String?

        func validate() throws {
            guard (1...100).contains(limit) else { throw ValidationError("limit \(limit) is outside the range of [1, 100]") }
            do { _ = try HubSearchFilters(parsing: filter) } catch { throw ValidationError(error.description) }
            if let format { _ = try SearchFormat(format) }
        }

        func run() async throws {
            let filters = try HubSearchFilters(parsing: filter)
            let results = try await HubCLI.withClient(global, hub) { client in
                try await client.search(term, limit: limit, filters: filters)
            }
            if global.json {
                try HubCLI.json(results)
                return
            }
            guard !global.quiet else { return }
            let format = try SearchFormat(format ?? SearchFormat.defaultTable)
            let text = format.render(results, truncate: !noTrunc)
            if !text.isEmpty { Output.line(text) }
        }
    }
}

/// `docker search --format`: a template with `{{.Name}}`, `{{.Description}}`, `{{.StarCount}}`, `{{.IsOfficial}}`
/// and `{{.IsAutomated}}`; `\t` and `\n` are escapes; a leading `table` prints a header row and aligns the
/// tab-separated columns as docker's tabwriter does (minimum width 10, padding 3).
struct SearchFormat {
    /// docker's own table: `NAME  DESCRIPTION  STARS  OFFICIAL  AUTOMATED`.
    static let defaultTable = "table {{.Name}}\\t{{.Description}}\\t{{.StarCount}}\\t{{.IsOfficial}}\\t{{.IsAutomated}}"

    static let headers = [
        "Name": "NAME", "Description": "DESCRIPTION", "StarCount": "STARS", "IsOfficial": "OFFICIAL", "IsAutomated": "AUTOMATED",
    ]

    enum Piece { case text(String), field(String) }

    let isTable: Bool
    let pieces: [Piece]

    init(_ format: String) throws {
        var body = format
        isTable = body.hasPrefix("table")
        if isTable { body = String(body.dropFirst("table".count)) }
        body = body.trimmingCharacters(in: CharacterSet(charactersIn: " "))
            .replacingOccurrences(of: "\\t", with: "\t").replacingOccurrences(of: "\\n", with: "\n")
        var pieces: [Piece] = []
        var rest = Substring(body)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw ValidationError("template parsing error: unclosed action in \(format)")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard name.hasPrefix("."), SearchFormat.headers[String(name.dropFirst())] != nil else {
                throw ValidationError("template parsing error: can't evaluate field \(name) (fields: .Name .Description .StarCount .IsOfficial .IsAutomated)")
            }
            pieces.append(.field(String(name.dropFirst())))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        self.pieces = pieces
    }

    func line(_ value: (String) -> String) -> String {
        pieces.map { piece in
            switch piece {
            case .text(let text): return text
            case .field(let name): return value(name)
            }
        }.joined()
    }

    func render(_ results: [HubSearchResult], truncate: Bool) -> String {
        let rows = results.map { result in
            line { field in
                switch field {
                case "Name": return result.name
                case "Description": return result.displayDescription(truncate: truncate).replacingOccurrences(of: "\r", with: " ")
                case "StarCount": return String(result.starCount)
                case "IsOfficial": return result.isOfficial ? "[OK]" : ""
                default: return result.isAutomated ? "[OK]" : ""
                }
            }
        }
        guard isTable else { return rows.joined(separator: "\n") }
        let header = line { SearchFormat.headers[$0] ?? $0 }
        return TabWriter.align(([header] + rows).joined(separator: "\n"))
    }
}

/// Go's `text/tabwriter` as docker configures it (`minwidth 10, tabwidth 1, padding 3, padchar ' '`): each
/// tab-terminated cell is padded to its column's width; the text after a line's last tab is not.
enum TabWriter {
    static func align(_ text: String, minWidth: Int = 10, padding: Int = 3) -> String {
        let lines = text.components(separatedBy: "\n").map { $0.components(separatedBy: "\t") }
        let columns = (lines.map(\.count).max() ?? 1) - 1
        var widths = [Int](repeating: minWidth, count: max(columns, 0))
        for cells in lines {
            for index in 0..<(cells.count - 1) {
                widths[index] = max(widths[index], cells[index].unicodeScalars.count + padding)
            }
        }
        return lines.map { cells in
            cells.enumerated().map { index, cell in
                guard index < cells.count - 1 else { return cell }
                return cell + String(repeating: " ", count: max(0, widths[index] - cell.unicodeScalars.count))
            }.joined()
        }.joined(separator: "\n")
    }
}
