import Foundation
import NIOCore

/// What the registry records about one manifest of a repository.
struct ManifestRecord: Codable, Sendable, Equatable {
    var mediaType: String
    var size: Int64
    var subject: String?
    var artifactType: String?
    var annotations: [String: String]?
}

/// A repository's metadata: tags, manifests and the blobs linked to it.
struct RepositoryState: Codable, Sendable, Equatable {
    var tags: [String: String] = [:]
    var manifests: [String: ManifestRecord] = [:]
    var blobs: Set<String> = []
}

/// An upload in progress. The store hands it to one request at a time (`busy`).
final class UploadSession: @unchecked Sendable {
    let id: String
    let repository: String
    let data: any UploadData
    /// The running hash of every byte in `data`; nil before the first byte.
    var hasher: StreamHasher?
    var busy = false
    var lastUsed = Date()

    init(id: String, repository: String, data: any UploadData) {
        self.id = id
        self.repository = repository
        self.data = data
    }
}

/// The registry's state: repositories in memory (saved through the storage after each change) and uploads.
actor RegistryStore {
    let storage: any ContentStorage
    private var repositories: [String: RepositoryState]
    private var uploads: [String: UploadSession] = [:]
    /// Uploads idle for longer than this are dropped when a new one starts.
    private let uploadIdleLimit: TimeInterval = 3600

    init(storage: any ContentStorage) throws {
        self.storage = storage
        self.repositories = try storage.loadRepositories()
    }

    private func update(_ name: String, _ change: (inout RepositoryState) -> Void) throws {
        var state = repositories[name] ?? RepositoryState()
        change(&state)
        repositories[name] = state
        try storage.save(repository: name, state)
    }

    // MARK: Repositories

    func repositoryExists(_ name: String) -> Bool { repositories[name] != nil }

    func catalog() -> [String] {
        repositories.filter { !$0.value.manifests.isEmpty || !$0.value.blobs.isEmpty }.keys.sorted()
    }

    func tags(in name: String) -> [String]? {
        repositories[name].map { $0.tags.keys.sorted() }
    }

    func snapshot() -> [String: RepositoryState] { repositories }

    // MARK: Blobs

    /// The size of a blob linked to the repository, or nil.
    func blobSize(_ name: String, _ digest: String) -> Int64? {
        guard repositories[name]?.blobs.contains(digest) == true else { return nil }
        return storage.size(of: digest)
    }

    func deleteBlob(_ name: String, _ digest: String) throws -> Bool {
        guard repositories[name]?.blobs.contains(digest) == true else { return false }
        try update(name) { $0.blobs.remove(digest) }
        collect(digest)
        return true
    }

    /// Links an existing blob from `source` (or, without a source, from anywhere in the registry) into `name`.
    func mount(_ name: String, from source: String?, _ digest: String) throws -> Bool {
        let found: Bool
        if let source {
            found = repositories[source]?.blobs.contains(digest) == true
        } else {
            found = repositories.values.contains { $0.blobs.contains(digest) }
        }
        guard found, storage.size(of: digest) != nil else { return false }
        try update(name) { $0.blobs.insert(digest) }
        return true
    }

    /// Removes stored bytes no repository refers to any more.
    private func collect(_ digest: String) {
        let used = repositories.values.contains { $0.blobs.contains(digest) || $0.manifests[digest] != nil }
        if !used { storage.remove(digest) }
    }

    // MARK: Uploads

    func startUpload(_ name: String) throws -> UploadSession {
        let now = Date()
        for (id, session) in uploads where !session.busy && now.timeIntervalSince(session.lastUsed) > uploadIdleLimit {
            storage.discard(session.data)
            uploads[id] = nil
        }
        let id = UUID().uuidString.lowercased()
        let session = UploadSession(id: id, repository: name, data: try storage.makeUpload(id: id))
        uploads[id] = session
        if repositories[name] == nil { try update(name) { _ in } }
        return session
    }

    enum Acquire { case session(UploadSession), unknown, busy }

    /// Reserves an upload for one request.
    func acquireUpload(_ id: String, in name: String) -> Acquire {
        guard let session = uploads[id], session.repository == name else { return .unknown }
        guard !session.busy else { return .busy }
        session.busy = true
        return .session(session)
    }

    func releaseUpload(_ session: UploadSession) {
        session.busy = false
        session.lastUsed = Date()
    }

    /// Makes a verified upload a blob of its repository and ends the session.
    func finishUpload(_ session: UploadSession, as digest: String) throws {
        uploads[session.id] = nil
        try storage.commit(session.data, as: digest)
        try update(session.repository) { $0.blobs.insert(digest) }
    }

    /// Ends a session and drops its bytes.
    func cancelUpload(_ session: UploadSession) {
        uploads[session.id] = nil
        storage.discard(session.data)
    }

    // MARK: Manifests

    func putManifest(_ name: String, digest: String, record: ManifestRecord, bytes: ByteBuffer, tags: [String]) throws {
        try storage.store(bytes, as: digest)
        try update(name) { state in
            state.manifests[digest] = record
            for tag in tags { state.tags[tag] = digest }
        }
    }

    /// Resolves a tag or digest to the manifest's digest and record.
    func manifest(_ name: String, reference: String) -> (digest: String, record: ManifestRecord)? {
        guard let state = repositories[name] else { return nil }
        let digest = reference.contains(":") ? reference : state.tags[reference]
        guard let digest, let record = state.manifests[digest] else { return nil }
        return (digest, record)
    }

    func deleteTag(_ name: String, _ tag: String) throws -> Bool {
        guard repositories[name]?.tags[tag] != nil else { return false }
        try update(name) { $0.tags[tag] = nil }
        return true
    }

    func deleteManifest(_ name: String, _ digest: String) throws -> Bool {
        guard repositories[name]?.manifests[digest] != nil else { return false }
        try update(name) { state in
            state.manifests[digest] = nil
            state.tags = state.tags.filter { $0.value != digest }
        }
        collect(digest)
        return true
    }

    /// Manifests of the repository whose subject is `digest`, sorted by digest.
    func referrers(_ name: String, of digest: String) -> [(digest: String, record: ManifestRecord)] {
        guard let state = repositories[name] else { return [] }
        return state.manifests.filter { $0.value.subject == digest }
            .map { (digest: $0.key, record: $0.value) }
            .sorted { $0.digest < $1.digest }
    }
}
