import AsyncHTTPClient
import BotRuntime
import Logging
import Policy
import Testing

@Suite struct ExternalNLUFactoryTests {
    private func policy(_ dialogflow: String) throws -> Policy {
        try PolicyLoader.load(yaml: """
            name: regional
            version: 1
            nlu:
              engine: dialogflow_es
              dialogflow: {\(dialogflow)}
              on_error: fallback
            fallback: "Sorry?"
            """)
    }

    /// A regional Dialogflow ES agent is on its region's host (the global one refuses it), unless
    /// `base_url` says otherwise.
    @Test func aRegionalDialogflowESAgentIsAskedOnItsRegionsHost() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = client.shutdown() }
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let regional = try ExternalNLUFactory.make(try policy("project: p, location: europe-west1, language: en, token: \"${DF_TOKEN}\""),
                                                   variables: ["DF_TOKEN": "t0ken"], httpClient: client, logger: quiet)
        #expect(String(describing: regional).contains("https://europe-west1-dialogflow.googleapis.com"), "\(String(describing: regional))")
        let global = try ExternalNLUFactory.make(try policy("project: p, language: en, token: \"${DF_TOKEN}\""), variables: ["DF_TOKEN": "t0ken"], httpClient: client, logger: quiet)
        #expect(String(describing: global).contains("base: https://dialogflow.googleapis.com"), "\(String(describing: global))")
        let explicit = try ExternalNLUFactory.make(try policy("project: p, location: europe-west1, language: en, token: \"${DF_TOKEN}\", base_url: \"http://127.0.0.1:9\""),
                                                   variables: ["DF_TOKEN": "t0ken"], httpClient: client, logger: quiet)
        #expect(String(describing: explicit).contains("base: http://127.0.0.1:9"), "\(String(describing: explicit))")
    }
}
