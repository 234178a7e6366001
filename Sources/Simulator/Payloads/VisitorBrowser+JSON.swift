import Chatwoot

extension VisitorBrowser {
    /// `{browser_name, browser_version, device_name, platform_name, platform_version}`.
    var jsonValue: JSONValue {
        [
            "browser_name": .string(browserName),
            "browser_version": .string(browserVersion),
            "device_name": .string(deviceName),
            "platform_name": .string(platformName),
            "platform_version": .string(platformVersion),
        ]
    }
}
