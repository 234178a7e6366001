import Foundation

/// A REST call as the simulated Chatwoot sees it, after the HTTP layer read it.
struct BotRequest: Sendable {
    var method: String
    /// Without the query string.
    var path: String
    /// The `api_access_token` (or `Api-Access-Token`) header; `nil` when neither was sent.
    var accessToken: String?
    var body: Data
}
