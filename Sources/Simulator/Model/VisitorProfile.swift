import Chatwoot

/// Who a scripted customer is: the details a widget visitor or channel contact brings along.
public struct VisitorProfile: Sendable, Hashable {
    public var name: String
    public var email: String?
    public var phoneNumber: String?
    public var identifier: String?
    public var customAttributes: [String: JSONValue]
    public var blocked: Bool
    /// Reported by the website widget; ignored for other channels.
    public var browser: VisitorBrowser

    public init(
        name: String = "Jane Doe",
        email: String? = nil,
        phoneNumber: String? = nil,
        identifier: String? = nil,
        customAttributes: [String: JSONValue] = [:],
        blocked: Bool = false,
        browser: VisitorBrowser = VisitorBrowser()
    ) {
        self.name = name
        self.email = email
        self.phoneNumber = phoneNumber
        self.identifier = identifier
        self.customAttributes = customAttributes
        self.blocked = blocked
        self.browser = browser
    }
}
