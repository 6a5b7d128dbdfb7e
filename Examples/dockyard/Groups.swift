import ArgumentParser

extension DockyardCommand {
    /// Every top-level command. Each group lives in its own file as `extension DockyardCommand { struct … }`.
    static var groups: [any ParsableCommand.Type] {
        [
            Reference.self,
            Manifest.self,
            Pull.self,
            Push.self,
            Copy.self,
            Sync.self,
            Blob.self,
            Login.self,
            Logout.self,
            Resolve.self,
            Delete.self,
            Tags.self,
            Catalog.self,
            RateLimitCommand.self,
            Search.self,
            Hub.self,
            Serve.self,
            Demo.self,
            Append.self,
            Mutate.self,
            Config.self,
            Inspect.self,
            Tag.self,
            Index.self,
            LayoutGroup.self,
            Artifact.self,
            Attach.self,
            Referrers.self,
        ]
    }
}
