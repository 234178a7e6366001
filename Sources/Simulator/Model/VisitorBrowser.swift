/// What the website widget reports about the visitor's browser; it ends up in
/// `conversation.additional_attributes` and in `webwidget_triggered.event_info` (docs/chatwoot-protocol.md §4.3, §4.6).
public struct VisitorBrowser: Sendable, Hashable {
    public var browserName: String
    public var browserVersion: String
    public var deviceName: String
    public var platformName: String
    public var platformVersion: String
    /// `navigator.language`, for example `"en"`.
    public var browserLanguage: String
    /// The widget's locale, or `nil`.
    public var widgetLanguage: String?
    /// The page the widget runs on; `""` when unknown.
    public var referer: String

    public init(
        browserName: String = "Chrome",
        browserVersion: String = "124.0.0.0",
        deviceName: String = "Unknown",
        platformName: String = "macOS",
        platformVersion: String = "10.15.7",
        browserLanguage: String = "en",
        widgetLanguage: String? = "en",
        referer: String = "https://www.acme.example/orders"
    ) {
        self.browserName = browserName
        self.browserVersion = browserVersion
        self.deviceName = deviceName
        self.platformName = platformName
        self.platformVersion = platformVersion
        self.browserLanguage = browserLanguage
        self.widgetLanguage = widgetLanguage
        self.referer = referer
    }
}
