import AsyncHTTPClient
import BotRuntime
import Logging
import NLUAdapters
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

    /// Lex signs with a shared credentials file's profile when the policy names one (read for
    /// every call: rotated temporary credentials), and needs no AWS_* variables then; without
    /// it, the environment's credentials are required at start.
    @Test func lexTakesItsCredentialsFromAFileWhenTheyRotate() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = client.shutdown() }
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        func lex(_ settings: String) throws -> Policy {
            try PolicyLoader.load(yaml: """
                name: lex
                version: 1
                nlu:
                  engine: lex_v2
                  lex: {bot: B, alias: A, locale: en_US, region: eu-west-1\(settings)}
                  on_error: fallback
                fallback: "Sorry?"
                """)
        }
        let fromFile = try ExternalNLUFactory.make(try lex(", credentials_file: \"${AWS_CREDENTIALS}\", profile: bot"),
                                                   variables: ["AWS_CREDENTIALS": "/run/secrets/aws"], httpClient: client, logger: quiet)
        let configuration = try #require((fromFile as? LexV2NLU)?.configuration)
        #expect(configuration.credentials.description == "file(/run/secrets/aws, profile: bot)")
        #expect(throws: CredentialsError.self) { try ExternalNLUFactory.make(try lex(""), variables: [:], httpClient: client, logger: quiet) }
        let fromEnvironment = try ExternalNLUFactory.make(try lex(""), variables: ["AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "s3cret"],
                                                          httpClient: client, logger: quiet)
        #expect((fromEnvironment as? LexV2NLU)?.configuration.credentials.description == "value(***)")
    }
}
