import HTTPSupport
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Dialogflow ES (API v2) `detectIntent` with a text query:
/// `POST {base}/v2/projects/{project}/agent/sessions/{session}:detectIntent` with
/// `Authorization: Bearer …` and `{"queryInput":{"text":{"text":…,"languageCode":…}}}`.
///
/// Maps `queryResult.intent.displayName` (`nil` for a fallback intent, `isFallback`),
/// `intentDetectionConfidence`, `parameters` (→ entities), `fulfillmentText` or else the
/// `fulfillmentMessages[].text.text[0]` of the default platform (→ reply), `action` and `allRequiredParamsPresent`
/// (→ complete). Fields proto3 leaves out when zero/false read as such.
public struct DialogflowESNLU: ExternalNLU, CustomStringConvertible, CustomReflectable {
    public struct Configuration: Sendable, CustomStringConvertible, CustomReflectable {
        public static let defaultBaseURL = URL(string: "https://dialogflow.googleapis.com")!

        public var projectId: String
        /// The agent's language, for example `en` or `pt-BR`.
        public var languageCode: String
        public var token: BearerTokenSource
        /// For a regional agent (`europe-west1`…): adds `/locations/{location}` to the path. Pair
        /// it with the regional ``baseURL`` (`https://europe-west1-dialogflow.googleapis.com`).
        public var location: String?
        /// A published environment (`/agent/environments/{environment}/users/-/sessions/…`);
        /// `nil` for the draft agent.
        public var environment: String?
        /// Sent as `x-goog-user-project`, for user credentials billed to another project.
        public var quotaProject: String?
        public var baseURL: URL
        public var timeout: Duration
        public var maximumResponseBytes: Int

        public init(
            projectId: String,
            languageCode: String,
            token: BearerTokenSource,
            location: String? = nil,
            environment: String? = nil,
            quotaProject: String? = nil,
            baseURL: URL = Configuration.defaultBaseURL,
            timeout: Duration = .seconds(3),
            maximumResponseBytes: Int = 1 << 20
        ) {
            self.projectId = projectId
            self.languageCode = languageCode
            self.token = token
            self.location = location
            self.environment = environment
            self.quotaProject = quotaProject
            self.baseURL = baseURL
            self.timeout = timeout
            self.maximumResponseBytes = maximumResponseBytes
        }

        public var description: String {
            "DialogflowESNLU.Configuration(project: \(projectId), language: \(languageCode), base: \(baseURL.redactedForDescription), token: \(token), timeout: \(timeout))"
        }
        public var customMirror: Mirror { Mirror(self, children: ["description": description]) }

        /// The request path for `session`, its segments percent-encoded.
        func path(session: String) -> String {
            var path = "/v2/projects/\(PercentEncoding.encode(projectId))"
            if let location { path += "/locations/\(PercentEncoding.encode(location))" }
            path += "/agent"
            if let environment { path += "/environments/\(PercentEncoding.encode(environment))/users/-" }
            return path + "/sessions/\(PercentEncoding.encode(session)):detectIntent"
        }
    }

    public let engine = "dialogflow-es"
    /// Each call moves the session's dialog on and may run fulfillment.
    public let keepsDialogState = true
    public let configuration: Configuration
    private let client: GoogleClient

    public init(httpClient: HTTPClient, configuration: Configuration, logger: Logger? = nil) {
        self.configuration = configuration
        self.client = GoogleClient(httpClient: httpClient, serviceName: "Dialogflow ES", label: "NLUAdapters.DialogflowES", logger: logger,
                                   baseURL: configuration.baseURL, token: configuration.token, quotaProject: configuration.quotaProject,
                                   timeout: configuration.timeout, maximumResponseBytes: configuration.maximumResponseBytes)
    }

    public var description: String { "DialogflowESNLU(\(configuration))" }
    public var customMirror: Mirror { Mirror(self, children: ["configuration": configuration]) }

    struct Body: Encodable {
        struct QueryInput: Encodable { var text: TextInput }
        struct TextInput: Encodable {
            var text: String
            var languageCode: String
        }
        var queryInput: QueryInput
    }

    public func understand(_ text: String, session: String, messageId: String?) async -> NLUOutcome {
        let body = Body(queryInput: .init(text: .init(text: text, languageCode: configuration.languageCode)))
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
        let intent = queryResult["intent"]
        let name = intent?["displayName"]?.text
        let isFallback = intent?["isFallback"]?.bool ?? false
        let confidence = queryResult["intentDetectionConfidence"]?.double ?? (intent == nil ? nil : 0)

        var reply = queryResult["fulfillmentText"]?.text
        if reply == nil {
            // Messages for the default platform; the platform-specific ones only if there are none.
            let messages = queryResult["fulfillmentMessages"]?.array ?? []
            let isDefault = { (message: JSON) in
                (message["platform"]?.text ?? "PLATFORM_UNSPECIFIED") == "PLATFORM_UNSPECIFIED"
            }
            let chosen = messages.contains(where: isDefault) ? messages.filter(isDefault) : messages
            var texts: [String] = []
            for message in chosen {
                if let text = message["text"]?["text"]?.array?.first?.text, texts.last != text { texts.append(text) }
            }
            reply = texts.isEmpty ? nil : texts.joined(separator: "\n\n")
        }

        return NLUResult(
            intent: isFallback ? nil : name,
            confidence: confidence,
            ranking: name.map { [NLURankedIntent(intent: $0, confidence: confidence)] } ?? [],
            entities: JSON.parameterEntities(queryResult["parameters"]),
            reply: reply,
            action: queryResult["action"]?.text,
            complete: queryResult["allRequiredParamsPresent"]?.bool ?? false,
            engine: engine
        )
    }
}

/// The HTTP side shared by the Dialogflow adapters: bearer token, JSON in and out.
struct GoogleClient: Sendable {
    let transport: NLUTransport
    let baseURL: URL
    let token: BearerTokenSource
    let quotaProject: String?

    init(httpClient: HTTPClient, serviceName: String, label: String, logger: Logger?, baseURL: URL, token: BearerTokenSource,
         quotaProject: String?, timeout: Duration, maximumResponseBytes: Int) {
        transport = NLUTransport(httpClient: httpClient, timeout: timeout, maximumResponseBytes: maximumResponseBytes,
                                 logger: logger, label: label, serviceName: serviceName)
        self.baseURL = baseURL
        self.token = token
        self.quotaProject = quotaProject
    }

    func post(path: String, body: ByteBuffer) async -> Result<(JSON, HTTPExchange), NLUFailure> {
        let secret: Secret
        do {
            secret = try await token.load()
        } catch let error as CredentialsError {
            return .failure(
                NLUFailure(kind: .unauthorized, message: "No access token for \(transport.serviceName): \(error.message)")
            )
        } catch {
            return .failure(
                NLUFailure(
                    kind: .unauthorized,
                    message: "No access token for \(transport.serviceName): \(token) failed (\(type(of: error)))"
                )
            )
        }
        let scrub = Scrubber([secret])
        var request = HTTPClientRequest(url: baseURL.absoluteString.trimmingSuffix("/") + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(secret.value)")
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "Accept", value: "application/json")
        if let quotaProject { request.headers.add(name: "x-goog-user-project", value: quotaProject) }
        request.body = .bytes(body)

        let exchange: HTTPExchange
        switch await transport.send(request, logPath: path, scrub: scrub) {
        case .success(let value): exchange = value
        case .failure(let failure): return .failure(failure)
        }
        if let failure = transport.failure(for: exchange, scrub: scrub) { return .failure(failure) }
        return transport.jsonObject(exchange, scrub: scrub).map { ($0, exchange) }
    }
}
