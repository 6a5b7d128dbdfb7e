import ArgumentParser

extension DockyardCommand {
    /// Every top-level command. Each group lives in its own file as `extension DockyardCommand { struct … }`.
    static var groups: [any ParsableCommand.Type] {
        []
    }
}
