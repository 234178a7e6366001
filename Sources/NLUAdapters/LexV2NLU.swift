import HTTPSupport
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Amazon Lex V2 `RecognizeText`:
/// `POST {endpoint}/bot/{botId}/botAlias/{aliasId}/botLocale/{localeId}/session/{sessionId}/text`
/// with `{"text": …}`, signed with AWS Signature Version 4 (service `lex`).
///
/// Maps the first of `interpretations[]` (`intent.name`, `nluConfidence.score`; an intent in
/// ``Configuration/noMatchIntents``, by default `FallbackIntent`, → no intent), every
/// interpretation into the ranking, that intent's `slots` (→ entities, `value.interpretedValue`,
/// one per value for list slots), `sessionState.intent.state` (`Fulfilled` or
/// `ReadyForFulfillment` → complete), `messages[].content` (→ reply) and
/// `sessionState.dialogAction.type` (→ action).
public struct LexV2NLU: ExternalNLU, CustomStringConvertible, CustomReflectable {
    public struct Configuration: Sendable, CustomStringConvertible, CustomReflectable {
        public var botId: String
        public var botAliasId: String
        /// `en_US`, `pt_BR`…
        public var localeId: String
        public var region: String
        /// Read for every request (``AWSCredentialsSource/file(_:profile:staleFor:)`` follows rotated
        /// temporary credentials).
        public var credentials: AWSCredentialsSource
        /// Default `https://runtime-v2-lex.{region}.amazonaws.com`.
        public var endpoint: URL
        public var timeout: Duration
        public var noMatchIntents: Set<String>
        public var maximumResponseBytes: Int

        public init(
            botId: String,
            botAliasId: String,
            localeId: String,
            region: String,
            credentials: AWSCredentialsSource,
            endpoint: URL? = nil,
            timeout: Duration = .seconds(3),
            noMatchIntents: Set<String> = ["FallbackIntent"],
            maximumResponseBytes: Int = 1 << 20
        ) {
            self.botId = botId
            self.botAliasId = botAliasId
            self.localeId = localeId
            self.region = region
            self.credentials = credentials
            self.endpoint = endpoint ?? Self.defaultEndpoint(region: region)
            self.timeout = timeout
            self.noMatchIntents = noMatchIntents
            self.maximumResponseBytes = maximumResponseBytes
        }

        /// Fixed credentials.
        public init(botId: String, botAliasId: String, localeId: String, region: String, credentials: AWSCredentials, endpoint: URL? = nil,
                    timeout: Duration = .seconds(3), noMatchIntents: Set<String> = ["FallbackIntent"], maximumResponseBytes: Int = 1 << 20) {
            self.init(botId: botId, botAliasId: botAliasId, localeId: localeId, region: region, credentials: .value(credentials), endpoint: endpoint,
                      timeout: timeout, noMatchIntents: noMatchIntents, maximumResponseBytes: maximumResponseBytes)
        }

        public static func defaultEndpoint(region: String) -> URL {
            URL(string: "https://runtime-v2-lex.\(PercentEncoding.encode(region)).amazonaws.com")!
        }

        public var description: String {
            "LexV2NLU.Configuration(bot: \(botId), alias: \(botAliasId), locale: \(localeId), region: \(region), endpoint: \(endpoint.redactedForDescription), credentials: ***, timeout: \(timeout))"
        }
        public var customMirror: Mirror { Mirror(self, children: ["description": description]) }

        func path(session: String) -> String {
            "/bot/\(PercentEncoding.encode(botId))/botAlias/\(PercentEncoding.encode(botAliasId))"
                + "/botLocale/\(PercentEncoding.encode(localeId))/session/\(PercentEncoding.encode(session))/text"
        }
    }

    /// Intent states that mean the intent has all it needs.
    public static let completeStates: Set<String> = ["Fulfilled", "ReadyForFulfillment"]

    public let engine = "lex-v2"
    /// Each call moves the session's dialog on and may run fulfillment.
    public let keepsDialogState = true
    public let configuration: Configuration
    private let transport: NLUTransport
    private let now: @Sendable () -> Date

    /// - Parameter now: The signing time; a fixed clock in tests.
    public init(
        httpClient: HTTPClient,
        configuration: Configuration,
        logger: Logger? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.transport = NLUTransport(
            httpClient: httpClient,
            timeout: configuration.timeout,
            maximumResponseBytes: configuration.maximumResponseBytes,
            logger: logger,
            label: "NLUAdapters.LexV2",
            serviceName: "Amazon Lex V2"
        )
        self.now = now
    }

    public var description: String { "LexV2NLU(\(configuration))" }
    public var customMirror: Mirror { Mirror(self, children: ["configuration": configuration]) }

    struct Body: Encodable { var text: String }

    /// The `Host` header value for the endpoint: the host, and the port unless it is the scheme's default.
    static func hostHeader(_ url: URL) -> String {
        let host = url.host ?? ""
        guard let port = url.port else { return host }
        let isDefault = (url.scheme == "https" && port == 443) || (url.scheme == "http" && port == 80)
        return isDefault ? host : "\(host):\(port)"
    }

    public func understand(_ text: String, session: String, messageId: String?) async -> NLUOutcome {
        let credentials: AWSCredentials
        do {
            credentials = try configuration.credentials.current()
        } catch {
            let reason = (error as? CredentialsError)?.message ?? "\(configuration.credentials) failed (\(type(of: error)))"
            return .failed(NLUFailure(kind: .unauthorized, message: "No AWS credentials for \(transport.serviceName): \(reason)"))
        }
        let signer = SigV4Signer(credentials: credentials, region: configuration.region, service: "lex")
        let scrub = Scrubber(credentials.secrets)
        let path = configuration.path(session: session)
        let endpoint = configuration.endpoint.absoluteString.trimmingSuffix("/")
        let body = encodeJSONBody(Body(text: text))
        let bodyBytes = Array(body.readableBytesView)
        let signed = signer.sign(
            SigV4Signer.Request(
                method: "POST",
                path: (configuration.endpoint.path.trimmingSuffix("/")) + path,
                headers: [
                    (name: "Content-Type", value: "application/json"),
                    (name: "Host", value: Self.hostHeader(configuration.endpoint)),
                ],
                body: bodyBytes
            ),
            date: now()
        )
        var request = HTTPClientRequest(url: endpoint + path)
        request.method = .POST
        for (name, value) in signed.headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(body)

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
        guard json["interpretations"]?.array != nil || json["sessionState"]?.object != nil else {
            return .failed(transport.unexpected(exchange, "interpretations or sessionState"))
        }
        return .understood(map(json))
    }

    func map(_ json: JSON) -> NLUResult {
        let interpretations = json["interpretations"]?.array ?? []
        let ranking = interpretations.compactMap { interpretation -> NLURankedIntent? in
            guard let name = interpretation["intent"]?["name"]?.text else { return nil }
            return NLURankedIntent(intent: name, confidence: interpretation["nluConfidence"]?["score"]?.double)
        }
        let best = interpretations.first
        let name = best?["intent"]?["name"]?.text
        let sessionIntent = json["sessionState"]?["intent"]
        var slots = best?["intent"]?["slots"]?.object
        if slots == nil || slots?.isEmpty == true, let name, sessionIntent?["name"]?.text == name {
            slots = sessionIntent?["slots"]?.object
        }

        var texts: [String] = []
        for message in json["messages"]?.array ?? [] {
            if let content = message["content"]?.text { texts.append(content) }
        }

        return NLUResult(
            intent: name.flatMap { configuration.noMatchIntents.contains($0) ? nil : $0 },
            confidence: best?["nluConfidence"]?["score"]?.double,
            ranking: ranking,
            entities: Self.entities(slots ?? [:]),
            reply: texts.isEmpty ? nil : texts.joined(separator: "\n\n"),
            action: json["sessionState"]?["dialogAction"]?["type"]?.text,
            complete: sessionIntent?["state"]?.text.map(Self.completeStates.contains),
            engine: engine
        )
    }

    /// One entity per filled slot (per value for list slots), sorted by slot name.
    static func entities(_ slots: [String: JSON]) -> [NLUEntity] {
        var entities: [NLUEntity] = []
        for name in slots.keys.sorted() {
            let slot = slots[name]!
            let values = slot["values"]?.array ?? []
            for value in values.isEmpty ? [slot] : values {
                let slotValue = value["value"]
                if let text = slotValue?["interpretedValue"]?.text ?? slotValue?["originalValue"]?.text {
                    entities.append(NLUEntity(entity: name, value: text))
                }
            }
        }
        return entities
    }
}
