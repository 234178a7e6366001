import HTTPSupport
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// Dialogflow CX (API v3) `detectIntent` with a text query:
/// `POST {base}/v3/projects/{p}/locations/{l}/agents/{a}/sessions/{s}:detectIntent` with
/// `Authorization: Bearer …` and `{"queryInput":{"text":{"text":…},"languageCode":…}}`.
///
/// Maps `queryResult.match` (`intent.displayName`, `confidence`; `matchType` `NO_MATCH` or
/// `NO_INPUT` → no intent), `parameters` (→ entities), every `responseMessages[].text.text[]`
/// (→ reply) and `currentPage.displayName` (→ ``NLUResult/action``). CX has no "all parameters
/// present" flag: ``NLUResult/complete`` stays `nil`.
public struct DialogflowCXNLU: ExternalNLU, CustomStringConvertible, CustomReflectable {
    public struct Configuration: Sendable, CustomStringConvertible, CustomReflectable {
        public var projectId: String
        /// `global`, `us-central1`, `europe-west1`…
        public var location: String
        public var agentId: String
        public var languageCode: String
        public var token: BearerTokenSource
        /// A published environment (`/environments/{environment}/sessions/…`); `nil` for the draft.
        public var environment: String?
        public var quotaProject: String?
        /// Default: `https://dialogflow.googleapis.com` for `global`, otherwise
        /// `https://{location}-dialogflow.googleapis.com`.
        public var baseURL: URL
        public var timeout: Duration
        public var maximumResponseBytes: Int

        public init(
            projectId: String,
            location: String = "global",
            agentId: String,
            languageCode: String,
            token: BearerTokenSource,
            environment: String? = nil,
            quotaProject: String? = nil,
            baseURL: URL? = nil,
            timeout: Duration = .seconds(3),
            maximumResponseBytes: Int = 1 << 20
        ) {
            self.projectId = projectId
            self.location = location
            self.agentId = agentId
            self.languageCode = languageCode
            self.token = token
            self.environment = environment
            self.quotaProject = quotaProject
            self.baseURL = baseURL ?? Self.defaultBaseURL(location: location)
            self.timeout = timeout
            self.maximumResponseBytes = maximumResponseBytes
        }

        public static func defaultBaseURL(location: String) -> URL {
            location == "global"
                ? URL(string: "https://dialogflow.googleapis.com")!
                : URL(string: "https://\(PercentEncoding.encode(location))-dialogflow.googleapis.com")!
        }

        public var description: String {
            "DialogflowCXNLU.Configuration(project: \(projectId), location: \(location), agent: \(agentId), language: \(languageCode), base: \(baseURL.redactedForDescription), token: \(token), timeout: \(timeout))"
        }
        public var customMirror: Mirror { Mirror(self, children: ["description": description]) }

        func path(session: String) -> String {
            var path =
                "/v3/projects/\(PercentEncoding.encode(projectId))/locations/\(PercentEncoding.encode(location))/agents/\(PercentEncoding.encode(agentId))"
            if let environment { path += "/environments/\(PercentEncoding.encode(environment))" }
            return path + "/sessions/\(PercentEncoding.encode(session)):detectIntent"
        }
    }

    /// Match types that mean "nothing matched".
    public static let noMatchTypes: Set<String> = ["NO_MATCH", "NO_INPUT"]

    public let engine = "dialogflow-cx"
    /// Each call moves the session's dialog on and may run fulfillment.
    public let keepsDialogState = true
    public let configuration: Configuration
    private let client: GoogleClient

    public init(httpClient: HTTPClient, configuration: Configuration, logger: Logger? = nil) {
        self.configuration = configuration
        self.client = GoogleClient(httpClient: httpClient, serviceName: "Dialogflow CX", label: "NLUAdapters.DialogflowCX", logger: logger,
                                   baseURL: configuration.baseURL, token: configuration.token, quotaProject: configuration.quotaProject,
                                   timeout: configuration.timeout, maximumResponseBytes: configuration.maximumResponseBytes)
    }

    public var description: String { "DialogflowCXNLU(\(configuration))" }
    public var customMirror: Mirror { Mirror(self, children: ["configuration": configuration]) }

    struct Body: Encodable {
        struct QueryInput: Encodable {
            var text: TextInput
            var languageCode: String
        }
        struct TextInput: Encodable { var text: String }
        var queryInput: QueryInput
    }

    public func understand(_ text: String, session: String, messageId: String?) async -> NLUOutcome {
        let body = Body(queryInput: .init(text: .init(text: text), languageCode: configuration.languageCode))
        switch await client.post(path: configuration.path(session: session), body: encodeJSONBody(body)) {
        case .failure(let failure):
            return .failed(failure)
        case .success(let (json, exchange)):
            guard let queryResult = json["queryResult"], queryResult.object != nil else {
                return .failed(client.transport.unexpected(exchange, "a queryResult object"))
            }
            return .understood(map(queryResult))
        }
    }

    func map(_ queryResult: JSON) -> NLUResult {
        let match = queryResult["match"]
        let matchType = match?["matchType"]?.text
        let name = match?["intent"]?["displayName"]?.text
        let confidence = match?["confidence"]?.double ?? (match == nil ? nil : 0)
        let matched = !(matchType.map(Self.noMatchTypes.contains) ?? false)

        var texts: [String] = []
        for message in queryResult["responseMessages"]?.array ?? [] {
            for text in message["text"]?["text"]?.array ?? [] {
                if let text = text.text { texts.append(text) }
            }
        }

        return NLUResult(
            intent: matched ? name : nil,
            confidence: confidence,
            ranking: name.map { [NLURankedIntent(intent: $0, confidence: confidence)] } ?? [],
            entities: JSON.parameterEntities(queryResult["parameters"]),
            reply: texts.isEmpty ? nil : texts.joined(separator: "\n\n"),
            action: queryResult["currentPage"]?["displayName"]?.text,
            complete: nil,
            engine: engine
        )
    }
}
