import Foundation

// Values that hold a secret (a password, an access token, a JWT, a trigger or callback URL whose path is the
// capability) print, debug-print and `dump` with the secret replaced by `<redacted>`. The secret itself stays
// readable through its property.

enum HubRedaction {
    /// The text shown in place of a secret.
    static let placeholder = "<redacted>"

    /// `<redacted>` for a present secret, `nil` for an absent one (so a dump still tells whether there was one).
    static func secret(_ value: String?) -> String {
        value == nil ? "nil" : placeholder
    }

    /// A capability URL reduced to its origin.
    static func url(_ text: String?) -> String {
        guard let text else { return "nil" }
        guard let url = URL(string: text), url.host != nil else { return placeholder }
        return HubAPIError.origin(of: url, "redacted")
    }
}

extension HubLogin: CustomDebugStringConvertible, CustomReflectable {
    /// The same as ``description``: the account and the kind of login, never the secret.
    public var debugDescription: String { description }
    /// A mirror that shows ``description`` only, so `dump` cannot reveal the secret.
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}

extension HubToken: CustomDebugStringConvertible, CustomReflectable {
    /// The same as ``description``: username and expiry, never the token.
    public var debugDescription: String { description }
    /// A mirror without the access and refresh tokens, so `dump` cannot reveal them.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "accessToken": HubRedaction.placeholder, "refreshToken": HubRedaction.secret(refreshToken),
            "expiresAt": expiresAt as Any, "username": username as Any, "source": source as Any,
        ])
    }
}

extension HubAccessToken: CustomReflectable {
    /// A mirror without the secret `token`, so `print`, `debugPrint` and `dump` cannot reveal it.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "uuid": uuid, "label": label, "scopes": scopes, "isActive": isActive, "createdAt": createdAt as Any,
            "lastUsed": lastUsed as Any, "expiresAt": expiresAt as Any, "generatedBy": generatedBy as Any,
            "token": HubRedaction.secret(token),
        ])
    }
}

extension HubOrganizationAccessToken: CustomReflectable {
    /// A mirror without the secret `token`, so `print`, `debugPrint` and `dump` cannot reveal it.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "id": id, "label": label, "description": description as Any, "createdBy": createdBy as Any,
            "isActive": isActive, "createdAt": createdAt as Any, "expiresAt": expiresAt as Any,
            "lastUsedAt": lastUsedAt as Any, "token": HubRedaction.secret(token), "resources": resources,
        ])
    }
}

extension HubBuildTrigger: CustomReflectable {
    /// A mirror without the trigger token, and with the trigger URLs reduced to their origin.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "token": HubRedaction.secret(token), "active": active,
            "triggerURL": HubRedaction.url(triggerURL), "sourceTriggerURL": HubRedaction.url(sourceTriggerURL),
        ])
    }
}

extension WebhookDelivery: CustomReflectable {
    /// A mirror with the callback URL (a capability) reduced to its origin.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "callbackURL": HubRedaction.url(callbackURL.absoluteString), "pushData": pushData, "repository": repository,
        ])
    }
}

extension HubWebhookPipeline.Hook: CustomReflectable {
    /// A mirror with the hook URL reduced to its origin (hook URLs such as chat webhooks embed a secret).
    public var customMirror: Mirror {
        Mirror(self, children: [
            "name": name, "hookURL": HubRedaction.url(hookURL.absoluteString), "created": created as Any, "lastUpdated": lastUpdated as Any,
        ])
    }
}

extension HubClient: CustomReflectable {
    /// A mirror with the configuration only: the session (login and token) is never shown.
    public var customMirror: Mirror { Mirror(self, children: ["configuration": configuration], displayStyle: .class) }
}
