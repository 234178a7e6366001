import Chatwoot
import JSONScan

// The compact form: a digest's fields as one JSON array, in a fixed order, so a reader takes
// them one after the other instead of searching a Chatwoot payload by key. Layout
// ``WebhookDigest/compactFormName`` `fields-1`:
//
//   [event, account_id, message, conversation, contact]
//   message:      null | [id, message_type, content_type, private, content, created_at, source_id, sender_kind]
//   conversation: null | [id, inbox_id, status, channel, created_at, updated_at, contact, assigned_agent_id, account_id]
//   contact:      null | [id, name, email, phone, identifier]
//
// Enums are their Chatwoot strings, times integer µs since 1970, absent values `null`.

extension WebhookDigest.Kind {
    /// The kind of a webhook by its `event` name; `.other` for a name this version does not fold.
    init(event name: String?) {
        switch name {
        case WebhookEvent.Name.messageCreated: self = .messageCreated
        case WebhookEvent.Name.messageUpdated: self = .messageUpdated
        case WebhookEvent.Name.conversationOpened: self = .conversationOpened
        case WebhookEvent.Name.conversationResolved: self = .conversationResolved
        case WebhookEvent.Name.conversationStatusChanged: self = .conversationStatusChanged
        case WebhookEvent.Name.conversationUpdated: self = .conversationUpdated
        case WebhookEvent.Name.webwidgetTriggered: self = .webwidgetTriggered
        case _: self = .other
        }
    }

    /// The event name that reads back as this kind.
    var eventName: String {
        switch self {
        case .messageCreated: WebhookEvent.Name.messageCreated
        case .messageUpdated: WebhookEvent.Name.messageUpdated
        case .conversationOpened: WebhookEvent.Name.conversationOpened
        case .conversationResolved: WebhookEvent.Name.conversationResolved
        case .conversationStatusChanged: WebhookEvent.Name.conversationStatusChanged
        case .conversationUpdated: WebhookEvent.Name.conversationUpdated
        case .webwidgetTriggered: WebhookEvent.Name.webwidgetTriggered
        case .other: "other"
        }
    }
}

extension WebhookDigest {
    /// The digest written in the compact form's layout (see the top of this file). A submitted
    /// answer is not part of it: ``compactForm(of:)`` gives such messages no form.
    var compactForm: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        var form = FormWriter(out: out)
        form.open()
        form.string(kind.eventName)
        form.int(accountId)
        if let message {
            form.open()
            form.int(message.id)
            form.string(message.messageType?.rawValue)
            form.string(message.contentType?.rawValue)
            form.bool(message.isPrivate)
            form.string(message.content)
            form.int(message.createdAt)
            form.string(message.sourceId)
            form.string(message.senderKind?.rawValue)
            form.close()
        } else {
            form.null()
        }
        if let conversation {
            form.open()
            form.int(conversation.id)
            form.int(conversation.inboxId)
            form.string(conversation.status?.rawValue)
            form.string(conversation.channel)
            form.int(conversation.createdAt)
            form.int(conversation.updatedAt)
            form.contact(conversation.contact)
            form.int(conversation.assignedAgentId)
            form.int(conversation.accountId)
            form.close()
        } else {
            form.null()
        }
        form.contact(contact)
        form.close()
        return form.out
    }

    private init(kind: Kind, accountId: Int?) {
        self.kind = kind
        self.accountId = accountId
    }

    /// Reads a compact form written by ``compactForm``; nil unless `bytes` is exactly one.
    init?(form bytes: UnsafeRawBufferPointer) {
        var reader = JSONSequentialReader(bytes)
        guard let digest = Self.read(&reader), reader.finish() else { return nil }
        self = digest
    }

    /// Reads a compact form at the reader's position; nil when the next value is not one.
    static func read(_ reader: inout JSONSequentialReader) -> WebhookDigest? {
        guard reader.open(.array), let event = reader.string(), let accountId = reader.optionalInt() else { return nil }
        var digest = WebhookDigest(kind: Kind(event: event), accountId: accountId)
        if !reader.readNull() {
            guard reader.open(.array), let id = reader.optionalInt(), let messageType = reader.optionalString(),
                  let contentType = reader.optionalString(), let isPrivate = reader.bool(), let content = reader.optionalString(),
                  let createdAt = reader.optionalInt64(), let sourceId = reader.optionalString(), let senderKind = reader.optionalString(),
                  reader.close(.array) else { return nil }
            digest.message = Message(id: id, messageType: messageType.map(MessageType.init(rawValue:)),
                                     contentType: contentType.map(ContentType.init(rawValue:)), isPrivate: isPrivate, content: content,
                                     createdAt: createdAt, sourceId: sourceId, senderKind: senderKind.map(SenderKind.init(rawValue:)))
        }
        if !reader.readNull() {
            guard reader.open(.array), let id = reader.optionalInt(), let inboxId = reader.optionalInt(), let status = reader.optionalString(),
                  let channel = reader.optionalString(), let createdAt = reader.optionalInt64(), let updatedAt = reader.optionalInt64(),
                  let contact = readContact(&reader), let assignedAgentId = reader.optionalInt(), let accountId = reader.optionalInt(),
                  reader.close(.array) else { return nil }
            digest.conversation = Conversation(id: id, inboxId: inboxId, status: status.map(ConversationStatus.init(rawValue:)), channel: channel,
                                               createdAt: createdAt, updatedAt: updatedAt, contact: contact,
                                               assignedAgentId: assignedAgentId, accountId: accountId)
        }
        guard let contact = readContact(&reader), reader.close(.array) else { return nil }
        digest.contact = contact
        return digest
    }

    /// `.some(nil)` for `null`, nil when the next value is neither `null` nor a contact.
    private static func readContact(_ reader: inout JSONSequentialReader) -> ContactInfo?? {
        if reader.readNull() { return .some(nil) }
        guard reader.open(.array), let id = reader.optionalInt(), let name = reader.optionalString(), let email = reader.optionalString(),
              let phone = reader.optionalString(), let identifier = reader.optionalString(), reader.close(.array) else { return nil }
        return .some(ContactInfo(id: id, name: name, email: email, phone: phone, identifier: identifier))
    }
}

/// Writes the compact form's arrays: commas between elements, `null` for absent values.
private struct FormWriter {
    var out: [UInt8]

    /// A comma before every element but an array's first (the form holds arrays only, so an
    /// element follows either `[` or another element).
    private mutating func element() {
        if let last = out.last, last != UInt8(ascii: "[") { out.append(UInt8(ascii: ",")) }
    }

    mutating func open() {
        element()
        out.append(UInt8(ascii: "["))
    }

    mutating func close() {
        out.append(UInt8(ascii: "]"))
    }

    mutating func null() {
        element()
        out.append(contentsOf: "null".utf8)
    }

    mutating func string(_ value: String?) {
        guard let value else { return null() }
        element()
        JSONWriter.appendString(value, to: &out)
    }

    mutating func int<Integer: BinaryInteger>(_ value: Integer?) {
        guard let value else { return null() }
        element()
        out.append(contentsOf: String(value).utf8)
    }

    mutating func bool(_ value: Bool) {
        element()
        out.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func contact(_ contact: ContactInfo?) {
        guard let contact else { return null() }
        open()
        int(contact.id)
        string(contact.name)
        string(contact.email)
        string(contact.phone)
        string(contact.identifier)
        close()
    }
}
