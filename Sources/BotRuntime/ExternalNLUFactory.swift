import AsyncHTTPClient
import Effects
import Foundation
import Logging
import NLUAdapters
import Policy

/// Builds the external NLU client a policy names, with `${VAR}` references expanded from the
/// runtime's variables (the environment in `serve`).
public enum ExternalNLUFactory {
    struct MissingSetting: Error, CustomStringConvertible {
        var description: String
    }

    public static func make(_ policy: Policy, variables: [String: String], httpClient: HTTPClient, logger: Logger) throws -> (any ExternalNLU)? {
        guard let external = policy.nlu.external else { return nil }
        var unset: [String] = []
        func value(_ key: String) -> String? {
            external.settings[key].map { Variables.expand($0, from: variables) { unset.append($0) } }
        }
        let timeout = external.settings["timeout"].flatMap(Int.init).map { Duration.milliseconds($0) } ?? .seconds(3)
        func url(_ key: String) throws -> URL? {
            guard let text = value(key) else { return nil }
            guard let url = URL(string: text), url.scheme != nil else { throw MissingSetting(description: "nlu \(key) '\(text)' is not a URL (is its ${VARIABLE} set?)") }
            return url
        }
        func token() -> BearerTokenSource? {
            if let file = value("token_file") { return .file(file) }
            return value("token").map { .value(Secret($0)) }
        }
        let nlu: any ExternalNLU
        switch policy.nlu.engine {
        case "rasa":
            guard let base = try url("url") else { throw MissingSetting(description: "nlu.rasa.url is required") }
            nlu = RasaNLU(httpClient: httpClient, configuration: .init(url: base, token: value("token").map { Secret($0) }, timeout: timeout))
        case "dialogflow_es":
            guard let token = token() else { throw MissingSetting(description: "nlu.dialogflow needs token or token_file") }
            var configuration = DialogflowESNLU.Configuration(projectId: value("project") ?? "", languageCode: value("language") ?? "en", token: token,
                                                              location: value("location"), environment: value("environment"), timeout: timeout)
            if let base = try url("base_url") {
                configuration.baseURL = base
            } else if let location = configuration.location {
                // A regional agent lives on its region's host, as with CX: the global host refuses it.
                configuration.baseURL = DialogflowCXNLU.Configuration.defaultBaseURL(location: location)
            }
            nlu = DialogflowESNLU(httpClient: httpClient, configuration: configuration)
        case "dialogflow_cx":
            guard let token = token() else { throw MissingSetting(description: "nlu.dialogflow needs token or token_file") }
            nlu = DialogflowCXNLU(httpClient: httpClient, configuration: .init(
                projectId: value("project") ?? "", location: value("location") ?? "global", agentId: value("agent") ?? "",
                languageCode: value("language") ?? "en", token: token, environment: value("environment"), baseURL: try url("base_url"), timeout: timeout))
        case "lex_v2":
            // A shared credentials file is read for every call (rotated temporary credentials);
            // the environment's are read once.
            let credentials: AWSCredentialsSource = if let file = value("credentials_file") {
                .file(file, profile: value("profile") ?? "default")
            } else {
                .value(try Credentials.awsFromEnvironment(environment: variables))
            }
            nlu = LexV2NLU(httpClient: httpClient, configuration: .init(
                botId: value("bot") ?? "", botAliasId: value("alias") ?? "", localeId: value("locale") ?? "en_US", region: value("region") ?? "us-east-1",
                credentials: credentials, endpoint: try url("endpoint"), timeout: timeout))
        default:
            return nil
        }
        if !unset.isEmpty {
            throw MissingSetting(description: "the policy's nlu settings use unset environment variables: \(Set(unset).sorted().joined(separator: ", "))")
        }
        logger.info("external NLU", metadata: ["nlu.engine": "\(policy.nlu.engine)"])
        return nlu
    }
}
