import Chatwoot
import Domain
import Foundation
import JSONScan
import Ledger

/// The facts of one webhook body that the projector folds, read with ``JSONScanner`` instead of
/// decoding the whole ``Chatwoot/WebhookEvent``.
///
/// Why: the projector reads every webhook in the ledger on a rebuild. Decoding a ~3 KB Chatwoot
/// payload with Foundation's `JSONDecoder` builds every nested hash (`additional_attributes`,
/// `contact_inbox`, the push-shape message…); this scans the body without building values and
/// materialises only the ~25 scalars below, about 10× faster (numbers in ``Projector``).
///
/// Lenient like the Chatwoot models: a missing, `null` or mistyped field is `nil`; only a body
/// that is not a JSON object gives no digest. The rare widget submission is decoded with the
/// Chatwoot model (``Chatwoot/WebhookMessage/submittedAnswer``) so its rules live in one place.
public struct WebhookDigest: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case messageCreated, messageUpdated
        case conversationOpened, conversationResolved, conversationStatusChanged, conversationUpdated
        case webwidgetTriggered
        case other
    }

    public struct Message: Sendable, Equatable {
        public var id: Int?
        public var messageType: MessageType?
        public var contentType: ContentType?
        public var isPrivate = false
        public var content: String?
        /// µs since 1970.
        public var createdAt: Int64?
        public var sourceId: String?
        /// `nil` for a `null` sender (system messages).
        public var senderKind: SenderKind?
        public var answer: SubmittedAnswer?
    }

    public struct Conversation: Sendable, Equatable {
        public var id: Int?
        public var inboxId: Int?
        public var status: ConversationStatus?
        public var channel: String?
        /// µs since 1970.
        public var createdAt: Int64?
        /// µs since 1970: when the payload's conversation row was last written.
        public var updatedAt: Int64?
        /// `meta.sender`.
        public var contact: ContactInfo?
        /// `meta.assignee` when it is a human agent.
        public var assignedAgentId: Int?
        /// `messages[0].account_id` (conversation payloads carry no account object); not read for
        /// message events, which have their own.
        public var accountId: Int?
    }

    public var kind: Kind
    public var accountId: Int?
    public var message: Message?
    public var conversation: Conversation?
    /// The customer: the sender of an incoming message, the widget visitor, else `meta.sender`.
    public var contact: ContactInfo?

    /// `nil` when `body` is not a JSON object.
    public init?(body: [UInt8]) {
        guard let digest = body.withUnsafeBytes(WebhookDigest.init(bytes:)) else { return nil }
        self = digest
    }

    /// `nil` when `bytes` is not a JSON object.
    init?(bytes: UnsafeRawBufferPointer) {
        // One validating pass that descends only into the objects on `paths`.
        guard let root = JSONPathView(bytes, paths: Self.paths) else { return nil }
        self.init(root: root)
    }

    /// The digest of a `webhook.received` event: read from the compact form ingest recorded in
    /// its meta (``compactForm(of:)``) when that form has the layout this version reads, else —
    /// or with `fromRawBody` — from the raw body. Both give the same digest (tested); the compact
    /// form is the digest's own fields, in order, where the body is ~2.5 KB of Chatwoot's JSON to
    /// search, so replay and rebuilds read it several times faster.
    public init?(event: LedgerEvent, fromRawBody: Bool = false) {
        precondition(!event.isBodyDeferred, "seq \(event.seq) was read without its body: use init(event:fromRawBody:deferredBody:)")
        self.init(event: event, fromRawBody: fromRawBody, deferredBody: { event.body })
    }

    /// The same for an event that may have come without its raw body (a cursor reading
    /// summaries, ``Ledger/LedgerEvent/isBodyDeferred``): `deferredBody` reads it when the compact
    /// form does not do (there is none, or `fromRawBody`).
    public init?(event: LedgerEvent, fromRawBody: Bool = false, deferredBody: () throws -> [UInt8]) rethrows {
        if !fromRawBody, !event.meta.isEmpty, let digest = Self.recorded(in: event.meta) {
            self = digest
        } else {
            self.init(body: event.isBodyDeferred ? try deferredBody() : event.body)
        }
    }

    /// Names the compact form's layout (``compactForm``). A form of another layout (an earlier or
    /// later version's) is not read: the body is. Any change to what the form holds or how it is
    /// written must change this name (`WebhookDigestTests` pins the layout).
    public static let compactFormName = "fields-1"
    /// Bodies whose compact form is larger than this (a very long message) are not given one:
    /// meta stays small, and reading the body is then no slower than reading its copy.
    public static let compactFormLimit = 16 * 1024

    /// The compact form of `body` that ingest records in the event's meta: its digest as a JSON
    /// array of the fields in a fixed order (``compactForm``). nil when `body` is not a JSON
    /// object, when the form would exceed ``compactFormLimit``, when the message carries a
    /// submitted answer (a widget form or choice: rare, and read from the body), or when the form
    /// would not read back as exactly the body's digest. The raw body stays the source of truth.
    public static func compactForm(of body: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let digest = WebhookDigest(bytes: body), digest.message?.answer == nil else { return nil }
        let form = digest.compactForm
        guard form.count <= compactFormLimit, form.withUnsafeBytes(WebhookDigest.init(form:)) == digest else { return nil }
        return form
    }

    /// Whether the compact form recorded in `event`'s meta reads as its raw body does (what
    /// `ledger verify --forms` checks); nil when it carries no form of the current layout.
    public static func compactFormAgrees(in event: LedgerEvent) -> Bool? {
        guard event.type == EventType.webhookReceived, !event.meta.isEmpty, let recorded = recorded(in: event.meta) else { return nil }
        return recorded == WebhookDigest(body: event.body)
    }

    /// The digest read from the compact form in `meta`, when there is one of the current layout:
    /// one pass over the meta, the form read in place (ingest writes its name before it).
    static func recorded(in meta: [UInt8]) -> WebhookDigest? {
        meta.withUnsafeBytes { bytes in
            var reader = JSONSequentialReader(bytes)
            guard reader.open(.object) else { return nil }
            var current = false
            var digest: WebhookDigest?
            while let key = reader.nextKey() {
                switch key {
                case WebhookMeta.compactFormName: current = reader.string() == compactFormName
                case WebhookMeta.compactForm where current: digest = read(&reader)
                default: _ = reader.skip()
                }
            }
            return reader.finish() ? digest : nil
        }
    }

    /// Every member the digest reads (a path it does not list reads as missing, and asserts in
    /// debug builds): the message at the top level of message events, the conversation at the
    /// top level of conversation events, or embedded as `conversation` / `current_conversation`.
    static let paths = JSONPaths(pathList)

    private static let pathList: [String] = {
        let contact = ["id", "name", "email", "phone_number", "identifier"]
        let conversation = ["id", "inbox_id", "status", "channel", "created_at", "updated_at", "messages[0].account_id"]
            + contact.map { "meta.sender." + $0 } + ["meta.assignee.type", "meta.assignee.id"]
        let message = ["id", "message_type", "content_type", "private", "content", "created_at", "source_id",
                       "content_attributes.submitted_values", "content_attributes.submitted_email"]
        var paths = ["event", "account.id", "sender.type"] + message + conversation + contact.map { "sender." + $0 }
        paths += conversation.map { "conversation." + $0 } + conversation.map { "current_conversation." + $0 }
        paths += contact.map { "contact." + $0 } + ["contact.account.id"]
        return paths
    }()

    /// Reads the digest from the top-level object of a webhook body (any reader: the tests also
    /// read with ``JSONScan/JSONObjectView`` and compare).
    init<Object: JSONObjectReading>(root: Object) {
        kind = Kind(event: root.string("event"))
        switch kind {
        case .messageCreated, .messageUpdated:
            let message = Self.message(root)
            self.message = message
            let embedded = root.object("conversation")
            conversation = embedded.map { Self.conversation($0, readAccount: false) }
            // The account object is nearly always there; the last message is the fallback.
            if let account = root.object("account")?.int("id") {
                accountId = account
            } else if let embedded {
                accountId = Self.lastMessageAccount(embedded)
            }
            if message.messageType == .incoming, let sender = root.object("sender") {
                contact = Self.contact(sender)
            }
        case .webwidgetTriggered:
            conversation = root.object("current_conversation").map { Self.conversation($0, readAccount: true) }
            let visitor = root.object("contact")
            if let visitor { contact = Self.contact(visitor) }
            accountId = root.object("account")?.int("id") ?? visitor?.object("account")?.int("id") ?? conversation?.accountId
        case .conversationOpened, .conversationResolved, .conversationStatusChanged, .conversationUpdated:
            conversation = Self.conversation(root, readAccount: true)
            accountId = conversation?.accountId
        case .other:
            break
        }
        contact = contact ?? conversation?.contact
    }

    private static func message<Object: JSONObjectReading>(_ object: Object) -> Message {
        var message = Message()
        message.id = object.int("id")
        message.messageType = object.enumValue("message_type")
        message.contentType = object.enumValue("content_type")
        message.isPrivate = object.bool("private") ?? false
        message.content = object.string("content")
        message.createdAt = object.time("created_at")
        message.sourceId = object.string("source_id")
        if let sender = object.object("sender") {
            message.senderKind = SenderKind(typeField: sender.string("type"))
        }
        if let attributes = object.object("content_attributes"), attributes.has("submitted_values") || attributes.has("submitted_email") {
            message.answer = answer(id: message.id, contentType: message.contentType, attributes: attributes)
        }
        return message
    }

    /// The submission, read by the Chatwoot model (one set of rules) from just the two members
    /// it looks at: decoding the whole `content_attributes` (form definitions…) with
    /// `JSONDecoder` would cost ~200 µs.
    private static func answer<Object: JSONObjectReading>(id: Int?, contentType: ContentType?, attributes: Object) -> SubmittedAnswer? {
        var members: [String: JSONValue] = [:]
        for key in ["submitted_values", "submitted_email"] {
            // An unreadable member is a missing one, as in the model's lenient decoding.
            if let raw = attributes.raw(key), let value = try? JSONDecoder().decode(JSONValue.self, from: Data(raw)) { members[key] = value }
        }
        return WebhookMessage(id: id, contentType: contentType, contentAttributes: .object(members)).submittedAnswer
    }

    /// `messages[0].account_id` of a conversation object.
    private static func lastMessageAccount<Object: JSONObjectReading>(_ object: Object) -> Int? {
        object.firstObject(inArray: "messages")?.int("account_id")
    }

    private static func conversation<Object: JSONObjectReading>(_ object: Object, readAccount: Bool) -> Conversation {
        var conversation = Conversation()
        conversation.id = object.int("id")
        conversation.inboxId = object.int("inbox_id")
        conversation.status = object.enumValue("status")
        conversation.channel = object.string("channel")
        conversation.createdAt = object.time("created_at")
        conversation.updatedAt = object.time("updated_at")
        if let meta = object.object("meta") {
            if let sender = meta.object("sender") { conversation.contact = contact(sender) }
            if let assignee = meta.object("assignee"), SenderKind(typeField: assignee.string("type")) == .user {
                conversation.assignedAgentId = assignee.int("id")
            }
        }
        if readAccount { conversation.accountId = lastMessageAccount(object) }
        return conversation
    }

    private static func contact<Object: JSONObjectReading>(_ object: Object) -> ContactInfo {
        ContactInfo(id: object.int("id"), name: object.string("name"), email: object.string("email"),
                    phone: object.string("phone_number"), identifier: object.string("identifier"))
    }
}

// MARK: - Scanning helpers

/// The Chatwoot-specific readings the digest needs on top of the generic readers.
extension JSONObjectReading {
    /// A Chatwoot enum given as its string or its integer code.
    fileprivate func enumValue<E: ChatwootEnum>(_ key: String) -> E? {
        if let text = string(key) { return E(rawValue: text) }
        guard let code = int(key) else { return nil }
        return E.fromCode(code) ?? E(rawValue: String(code))
    }

    /// A time as µs since 1970: an ISO 8601 string, or Unix seconds (integer or fraction).
    fileprivate func time(_ key: String) -> Int64? {
        guard let range = range(key) else { return nil }
        if first(range) == UInt8(ascii: "\"") { return string(key).flatMap(Timestamp.parse) }
        return WebhookDigest.micros(seconds: UnsafeRawBufferPointer(rebasing: bytes[range]))
    }

}

extension WebhookDigest {
    /// Exact decimal parsing of `1778663742.351829` → 1778663742351829 (no binary rounding:
    /// the same text always gives the same µs). Digits beyond µs are dropped.
    /// 9999-12-31T23:59:59Z in Unix seconds.
    static let latestSeconds: Int64 = 253_402_300_799

    static func micros(seconds text: UnsafeRawBufferPointer) -> Int64? {
        var index = 0
        var negative = false
        if index < text.count, text[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        var whole: Int64 = 0
        var digits = 0
        while index < text.count, text[index] >= 48, text[index] <= 57 {
            let (m, o1) = whole.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(text[index] - 48))
            guard !o1, !o2 else { return nil }
            whole = a
            digits += 1
            index += 1
        }
        guard digits > 0 else { return nil }
        var fraction: Int64 = 0
        var fractionDigits = 0
        if index < text.count, text[index] == UInt8(ascii: ".") {
            index += 1
            while index < text.count, text[index] >= 48, text[index] <= 57 {
                if fractionDigits < 6 { fraction = fraction * 10 + Int64(text[index] - 48); fractionDigits += 1 }
                index += 1
            }
        }
        // An exponent or anything else: not a plain Unix time.
        guard index == text.count else { return nil }
        for _ in fractionDigits..<6 { fraction *= 10 }
        // Years 1 to 9999 either side of 1970 at most: a time beyond is no time (and µs near
        // Int64's limits overflowed here, in formatting and in durations, crashing ingest).
        guard whole <= Self.latestSeconds else { return nil }
        let micros = whole * 1_000_000 + fraction
        return negative ? -micros : micros
    }
}
