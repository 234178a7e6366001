import Foundation

/// Reads the Chatwoot example payloads from `Tests/Fixtures/chatwoot/`.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // ChatwootTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/chatwoot", isDirectory: true)

    static let webhookNames = [
        "webhook-message_created-incoming",
        "webhook-message_created-outgoing",
        "webhook-message_updated-input_select-submitted",
        "webhook-message_updated-form-submitted",
        "webhook-webwidget_triggered",
        "webhook-conversation_status_changed",
        "webhook-conversation_opened",
        "webhook-conversation_updated",
        "webhook-conversation_resolved",
    ]

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name + ".json"))
    }

    static func string(_ name: String) throws -> String {
        String(decoding: try data(name), as: UTF8.self)
    }
}
