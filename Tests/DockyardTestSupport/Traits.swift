import Foundation
import Testing

extension Trait where Self == ConditionTrait {
    /// Runs the test only when localhub's environment is present, unless `DOCKYARD_REQUIRE_SERVICES=1`.
    ///
    /// With `DOCKYARD_REQUIRE_SERVICES=1` (as `scripts/test` sets it) the test always runs, so its first
    /// `try LocalHub.required()` fails it when the servers are missing: nothing skips silently in CI.
    public static var requiresLocalHub: Self {
        .enabled(
            if: TestServices.areRequired || LocalHub.current != nil,
            "localhub is not running; \(TestServices.howToStart)")
    }

    /// Runs the test only when hubsim's environment is present, unless `DOCKYARD_REQUIRE_SERVICES=1`.
    ///
    /// With `DOCKYARD_REQUIRE_SERVICES=1` the test always runs and its first `try HubSim.required()` fails it
    /// when hubsim is missing.
    public static var requiresHubSim: Self {
        .enabled(
            if: TestServices.areRequired || HubSim.current != nil,
            "hubsim is not running; \(TestServices.howToStart)")
    }

    /// Runs the test only when the `dockyard` binary is built (``DockyardCLI/locate()``), unless
    /// `DOCKYARD_REQUIRE_SERVICES=1` (then `try DockyardCLI()` fails the test).
    public static var requiresDockyardBinary: Self {
        .enabled(
            if: TestServices.areRequired || DockyardCLI.locate() != nil,
            "the dockyard binary is not built; run swift build --product dockyard")
    }

    /// Runs the test only when `skopeo` is installed, unless `DOCKYARD_REQUIRE_SERVICES=1` (then it fails in
    /// ``Skopeo``).
    public static var requiresSkopeo: Self {
        .enabled(
            if: TestServices.areRequired || ProcessRunner.locate("skopeo") != nil,
            "skopeo is not installed; run scripts/install-test-deps")
    }
}

extension Tag {
    /// Tests that talk to real servers (localhub, hubsim) or run external programs.
    @Tag public static var integration: Self
}
