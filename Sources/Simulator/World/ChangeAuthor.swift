/// Who performs a change, for activity messages ("… by Sam Agent") and Chatwoot's bot-only paths.
enum ChangeAuthor: Sendable, Hashable {
    case bot
    case agent(id: Int)
    case contact(id: Int)
    /// Chatwoot itself (failure handling, automatic reopening).
    case system
}
