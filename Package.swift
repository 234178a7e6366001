// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Ledgerbot",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ledgerbot", targets: ["ledgerbot"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.27.0"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "SQLite", dependencies: ["CSQLite"]),
        .target(name: "JSONScan"),
        // The built-in, deterministic intent classifier (no network, no randomness).
        // Optimized in debug builds too: unoptimized, training a policy's classifier took 4 s of
        // every `serve` start and policy load in the tests. -O keeps IEEE arithmetic and the
        // summation order (no fast-math), so the model is the same bit for bit.
        .target(name: "NLU", swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(
            name: "Ledger",
            dependencies: [
                "CZlib", "SQLite", "JSONScan",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The ledger in PostgreSQL, for several bot instances sharing one ledger.
        .target(
            name: "PostgresLedger",
            dependencies: [
                "Ledger",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // One HTTP request and its whole response within a time limit (Chatwoot, lookups, NLU).
        .target(
            name: "HTTPSupport",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Chatwoot",
            dependencies: [
                "JSONScan", "HTTPSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Clients for external NLU services (Rasa, Dialogflow ES/CX, Amazon Lex V2), one attempt per message.
        .target(
            name: "NLUAdapters",
            dependencies: [
                "HTTPSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Domain",
            dependencies: ["Ledger", "JSONScan", "Chatwoot", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "Effects",
            dependencies: [
                "Ledger", "Domain", "Chatwoot", "JSONScan", "NLUAdapters", "HTTPSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // A bot version: the YAML policy, its templates and its trained NLU.
        .target(
            name: "Policy",
            dependencies: [
                "NLU", "Chatwoot", "Domain", "JSONScan", "HTTPSupport",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The pure decision function: no clock, randomness, environment or network.
        .target(name: "Reactor", dependencies: ["Policy", "Projections", "Domain", "Chatwoot", "NLU", "Ledger"]),
        .target(name: "Projections", dependencies: ["Ledger", "SQLite", "Domain", "Chatwoot", "JSONScan", "NLU"]),
        .target(
            name: "Engine",
            dependencies: [
                "Ledger", "Projections", "Chatwoot", "Domain", "Policy", "Reactor",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Server",
            dependencies: [
                "Ledger", "Domain", "Chatwoot", "JSONScan",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // Conversation timelines from the ledger (CLI `audit`, the server's pages).
        .target(name: "Audit", dependencies: ["Ledger", "Projections", "Domain", "Chatwoot"]),
        // The assembled bot (ingest + ledger + projections/reactor + outbox) for serve, demo and tests.
        .target(
            name: "BotRuntime",
            dependencies: [
                "Server", "Engine", "Effects", "Ledger", "Domain", "Chatwoot", "Policy", "Audit", "Projections", "NLUAdapters", "HTTPSupport",
                "PostgresLedger",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Simulator",
            dependencies: [
                "Chatwoot", "JSONScan", "HTTPSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "ledgerbot",
            dependencies: [
                "Ledger", "Server", "Chatwoot", "Effects", "Engine", "Projections", "Policy", "NLU", "BotRuntime", "Simulator", "Demo", "Audit",
                "PostgresLedger", "HTTPSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `ledgerbot demo`: scripted conversations on the simulator against the real bot.
        .target(
            name: "Demo",
            dependencies: [
                "BotRuntime", "Simulator", "Engine", "Policy", "Ledger", "Chatwoot",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Child process for crash tests (kill -9 mid-append, write errors). Not installed for users.
        .executableTarget(
            name: "LedgerbotTestHelper",
            dependencies: [
                "Ledger", "Server", "Effects", "Domain", "Chatwoot", "JSONScan",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "ledger-bench", dependencies: ["Ledger", "SQLite", "CZlib"], path: "tools/ledger-bench"),
        .executableTarget(
            name: "replay-bench",
            dependencies: ["Engine", "Ledger", "Projections", "BotRuntime", "Simulator", "Policy", "Chatwoot", .product(name: "Logging", package: "swift-log")],
            path: "tools/replay-bench"
        ),
        // Shared test helpers (temporary directories, child processes, fixtures), like HummingbirdTesting.
        .target(name: "LedgerbotTesting", dependencies: ["Ledger"], path: "Sources/LedgerbotTesting"),
        // A fresh database per test on the throwaway PostgreSQL cluster tools/test.sh starts.
        .target(
            name: "PostgresLedgerTesting",
            dependencies: [
                "PostgresLedger", "Ledger",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "PostgresLedgerTests",
            dependencies: [
                "PostgresLedger", "PostgresLedgerTesting", "Ledger", "LedgerbotTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "SQLite", "JSONScan", "LedgerbotTesting"]),
        .testTarget(
            name: "ChatwootTests",
            dependencies: [
                "Chatwoot", "LedgerbotTesting", "HTTPSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "LedgerbotCLITests",
            dependencies: [
                "Ledger", "LedgerbotTesting", "Simulator", "Chatwoot", "Domain", "Projections", "JSONScan", "PostgresLedger", "PostgresLedgerTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "NLUTests", dependencies: ["NLU"]),
        .testTarget(
            name: "NLUAdaptersTests",
            dependencies: [
                "NLUAdapters",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor", "Policy", "NLU", "Projections", "Domain", "Chatwoot", "Ledger", "LedgerbotTesting"]),
        .testTarget(
            name: "PolicyTests",
            dependencies: ["Policy", "NLU", "Chatwoot", "LedgerbotTesting", .product(name: "Mustache", package: "swift-mustache")]
        ),
        .testTarget(
            name: "EffectsTests",
            dependencies: [
                "Effects", "Ledger", "Domain", "Chatwoot", "LedgerbotTesting", "NLUAdapters",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ProjectionsTests",
            dependencies: ["Projections", "Ledger", "SQLite", "Domain", "Chatwoot", "JSONScan", "LedgerbotTesting", "Audit"]
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "Ledger", "Domain", "Chatwoot", "LedgerbotTesting", "Effects", "Simulator", "Engine", "Projections", "Policy", "BotRuntime", "JSONScan", "Audit",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "SimulatorTests",
            dependencies: [
                "Simulator", "Chatwoot", "LedgerbotTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ]
)
