/// A file, location or other attachment of a message (docs/chatwoot-protocol.md §4.7).
///
/// Only the commonly needed fields are typed; `dataURL` redirects to the stored file.
public struct Attachment: Sendable, Hashable, Codable {
    public var id: Int?
    public var messageId: Int?
    /// `image`, `audio`, `video`, `file`, `location`, `fallback`, `share`, … kept as a string
    /// because the list grows with channels.
    public var fileType: String?
    public var `extension`: String?
    public var dataURL: String?
    public var thumbURL: String?
    public var fileSize: Int?
    /// Audio only, when transcription is enabled.
    public var transcribedText: String?
    public var coordinatesLat: Double?
    public var coordinatesLong: Double?
    public var fallbackTitle: String?

    public init(id: Int?, messageId: Int? = nil, fileType: String?, dataURL: String? = nil) {
        self.id = id
        self.messageId = messageId
        self.fileType = fileType
        self.dataURL = dataURL
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = container.lenientInt(forKey: .id)
        self.messageId = container.lenientInt(forKey: .messageId)
        self.fileType = container.lenient(forKey: .fileType)
        self.extension = container.lenient(forKey: .extension)
        self.dataURL = container.lenient(forKey: .dataURL)
        self.thumbURL = container.lenient(forKey: .thumbURL)
        self.fileSize = container.lenientInt(forKey: .fileSize)
        self.transcribedText = container.lenient(forKey: .transcribedText)
        self.coordinatesLat = container.lenientDouble(forKey: .coordinatesLat)
        self.coordinatesLong = container.lenientDouble(forKey: .coordinatesLong)
        self.fallbackTitle = container.lenient(forKey: .fallbackTitle)
    }

    enum CodingKeys: String, CodingKey {
        case id
        case messageId = "message_id"
        case fileType = "file_type"
        case `extension`
        case dataURL = "data_url"
        case thumbURL = "thumb_url"
        case fileSize = "file_size"
        case transcribedText = "transcribed_text"
        case coordinatesLat = "coordinates_lat"
        case coordinatesLong = "coordinates_long"
        case fallbackTitle = "fallback_title"
    }
}
