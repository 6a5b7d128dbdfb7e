// The umbrella module: `import Dockyard` brings every layer.
@_exported import DockyardAuth
@_exported import DockyardBlobTransfer
@_exported import DockyardHubAPI
@_exported import DockyardImageBuilder
@_exported import DockyardManifests
@_exported import DockyardReferences
@_exported import DockyardTransport
@_exported import DockyardHTTPClient
