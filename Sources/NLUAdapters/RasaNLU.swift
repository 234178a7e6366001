import HTTPSupport
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Rasa's NLU over its HTTP API: `POST {url}/model/parse[?token=…]` with
/// `{"text": …, "message_id": …}`.
///
/// Maps `intent.name`/`intent.confidence`, `intent_ranking[]` and `entities[]` (entity, value,
/// start, end, extractor). An intent in ``Configuration/noMatchIntents`` (by default Rasa's
/// `nlu_fallback`) or a `null` intent becomes ``NLUResult/intent`` `nil`. Rasa's parse endpoint
/// is stateless: `session` is not sent.
public struct RasaNLU: ExternalNLU, CustomStringConvertible, CustomReflectable {
    public struct Configuration: Sendable, CustomStringConvertible, CustomReflectable {
        /// The Rasa server, for example `http://rasa:5005` (a path prefix is kept).
        public var url: URL
        /// Sent as the `token` query parameter (Rasa's `--auth-token`), if set.
        public var token: Secret?
        /// Deadline for one attempt, from connecting to reading the whole answer.
        public var timeout: Duration
        /// Intents that mean "nothing matched".
        public var noMatchIntents: Set<String>
        /// Larger answers are a ``NLUFailure/Kind/badResponse``.
        public var maximumResponseBytes: Int

        public init(
            url: URL,
            token: Secret? = nil,
            timeout: Duration = .seconds(3),
            noMatchIntents: Set<String> = ["nlu_fallback"],
            maximumResponseBytes: Int = 1 << 20
        ) {
            self.url = url
            self.token = token
            self.timeout = timeout
            self.noMatchIntents = noMatchIntents
            self.maximumResponseBytes = maximumResponseBytes
        }

        public var description: String {
            "RasaNLU.Configuration(url: \(url.redactedForDescription), token: \(token == nil ? "none" : "***"), timeout: \(timeout))"
        }
        public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
    }

    public let engine = "rasa"
    /// `/model/parse` only reads the message: no dialog is kept.
    public let keepsDialogState = false
    public let configuration: Configuration
    private let transport: NLUTransport
    private let scrub: Scrubber

    /// - Parameters:
    ///   - httpClient: Used for every call; owned (and shut down) by the caller.
    ///   - logger: Receives a `debug` line per call (path without query, status, time); never credentials.
    public init(httpClient: HTTPClient, configuration: Configuration, logger: Logger? = nil) {
        self.configuration = configuration
        self.transport = NLUTransport(
            httpClient: httpClient,
            timeout: configuration.timeout,
            maximumResponseBytes: configuration.maximumResponseBytes,
            logger: logger,
            label: "NLUAdapters.Rasa",
            serviceName: "Rasa"
        )
        self.scrub = Scrubber([configuration.token])
    }

    public var description: String { "RasaNLU(\(configuration))" }
    public var customMirror: Mirror { Mirror(self, children: ["configuration": configuration]) }

    struct Body: Encodable {
        var text: String
        var messageId: String?

        enum CodingKeys: String, CodingKey {
            case text
            case messageId = "message_id"
        }
    }

    public func understand(_ text: String, session: String, messageId: String?) async -> NLUOutcome {
        let path = "/model/parse"
        var url = configuration.url.absoluteString.trimmingSuffix("/") + path
        if let token = configuration.token {
            url += "?token=" + PercentEncoding.encode(token.value)
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(encodeJSONBody(Body(text: text, messageId: messageId)))

        let exchange: HTTPExchange
        switch await transport.send(request, logPath: path, scrub: scrub) {
        case .success(let value): exchange = value
        case .failure(let failure): return .failed(failure)
        }
        if let failure = transport.failure(for: exchange, scrub: scrub) { return .failed(failure) }
        let json: JSON
        switch transport.jsonObject(exchange, scrub: scrub) {
        case .success(let value): json = value
        case .failure(let failure): return .failed(failure)
        }
        guard json["intent"] != nil || json["entities"] != nil || json["intent_ranking"] != nil else {
            return .failed(transport.unexpected(exchange, "intent, intent_ranking or entities"))
        }
        return .understood(map(json))
    }

    func map(_ json: JSON) -> NLUResult {
        let name = json["intent"]?["name"]?.text
        let ranking = (json["intent_ranking"]?.array ?? []).compactMap { entry -> NLURankedIntent? in
            guard let intent = entry["name"]?.text else { return nil }
            return NLURankedIntent(intent: intent, confidence: entry["confidence"]?.double)
        }
        let entities = (json["entities"]?.array ?? []).compactMap { entry -> NLUEntity? in
            guard let entity = entry["entity"]?.text, let value = entry["value"], !value.isNull else { return nil }
            return NLUEntity(
                entity: entity,
                value: value.entityText,
                start: entry["start"]?.int,
                end: entry["end"]?.int,
                extractor: entry["extractor"]?.text
            )
        }
        return NLUResult(
            intent: name.flatMap { configuration.noMatchIntents.contains($0) ? nil : $0 },
            confidence: json["intent"]?["confidence"]?.double,
            ranking: ranking,
            entities: entities,
            engine: engine
        )
    }
}
