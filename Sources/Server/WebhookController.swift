import Chatwoot
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /webhooks/chatwoot`: reads the raw body within the size limit and hands it to
/// ``WebhookIngest``. The body is never decoded here (the ledger keeps the bytes as received).
struct WebhookController: Sendable {
    let ingest: WebhookIngest
    let bodyLimit: Int

    @Sendable func receive(_ request: Request, context: some RequestContext) async throws -> Response {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: bodyLimit)
        } catch is NIOTooManyBytesError {
            let outcome = await ingest.tooLarge(contentType: request.headers[.contentType], deliveryID: request.headers[Self.delivery], limit: bodyLimit)
            return Self.response(outcome)
        }
        let delivery = WebhookDelivery(
            body: Array(buffer.readableBytesView),
            contentType: request.headers[.contentType],
            deliveryID: request.headers[Self.delivery],
            signature: request.headers[Self.signature],
            signatureTimestamp: request.headers[Self.timestamp]
        )
        return Self.response(await ingest.ingest(delivery))
    }

    static let delivery = HTTPField.Name(WebhookSignature.deliveryHeaderName)!
    static let signature = HTTPField.Name(WebhookSignature.signatureHeaderName)!
    static let timestamp = HTTPField.Name(WebhookSignature.timestampHeaderName)!

    static func response(_ outcome: IngestOutcome) -> Response {
        let body: String
        switch outcome {
        case .stored(let seq): body = "{\"status\":\"stored\",\"seq\":\(seq)}"
        case .duplicate(let original, _): body = "{\"status\":\"duplicate\",\"seq\":\(original)}"
        case .rejected(_, let reason): body = "{\"status\":\"rejected\",\"reason\":\"\(reason)\"}"
        case .failed: body = "{\"status\":\"error\",\"reason\":\"ledger_unavailable\"}"
        case .busy: body = "{\"status\":\"error\",\"reason\":\"backlog_full\"}"
        }
        return Response(status: .init(code: outcome.httpStatus), headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
