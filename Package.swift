// swift-tools-version:6.1
import PackageDescription

/// Strict Swift 6 everywhere; the upcoming features the style guide asks for.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// How release builds of the bot are linked on Linux (docs/benchmarks.md#memory): with lld, the
/// functions the bot runs placed first and together (`link-order.txt`, made by
/// scripts/link-order.sh; built with `-Xswiftc -Xfrontend -Xswiftc -function-sections` so every
/// module's functions can be moved), relative relocations packed (DT_RELR, glibc 2.36+), so
/// start-up reads 50 KB of relocations instead of 3.7 MB, and no dynamic symbol table of the bot's
/// own 57,000 functions (the Swift runtime's `dladdr` calls walked all 5 MB of it; crash
/// backtraces read the ELF symbol table instead). Together they took idle resident memory from
/// 45.9 MB to 28.3 MB; debug builds link as usual.
let linkOrder = Context.packageDirectory + "/Sources/Executable/link-order.txt"
let releaseLinkerSettings: [LinkerSetting] = [
    .unsafeFlags([
        "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
        "-Xlinker", "--symbol-ordering-file=\(linkOrder)", "-Xlinker", "--no-warn-symbol-ordering",
        "-Xlinker", "--no-export-dynamic",
    ], .when(platforms: [.linux], configuration: .release)),
]

let package = Package(
    name: "aegis-rotate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "aegis-rotate", targets: ["aegis-rotate"]),
        // The modules whose parsers the fuzz targets drive. Fuzz/ is its own package (outside the
        // normal build) that depends on this one by path; see docs/fuzzing.md.
        .library(name: "AegisParsers", targets: [
            "AegisCore", "SlackWebAPI", "SlackSocketMode", "AegisChat", "AegisSlack", "AegisRedis", "AegisKubernetes",
            "AegisAWS", "AegisAdapters",
        ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // The core: rotations, plans, approvals, state, audit, timers. Knows nothing of Slack or any cloud.
        .target(
            name: "AegisCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Sources/Core",
            swiftSettings: strictSettings
        ),
        // The embedded state store (SQLite through GRDB) behind the core's StateStore protocol.
        .target(
            name: "AegisStateSQLite",
            dependencies: ["AegisCore", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Sources/State/SQLite",
            swiftSettings: strictSettings
        ),
        // The state store for several replicas (PostgreSQL through PostgresNIO), with leases.
        .target(
            name: "AegisStatePostgres",
            dependencies: [
                "AegisCore", "AegisPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/State/Postgres",
            swiftSettings: strictSettings
        ),
        // The local sandbox: file-backed versioned secret store and deploy target.
        .target(
            name: "AegisLocalSandbox",
            dependencies: ["AegisCore"],
            path: "Sources/Adapters/LocalSandbox",
            swiftSettings: strictSettings
        ),
        // AWS adapters: SigV4 signer, credential chain, AWSClient (JSON 1.1 and Query protocols),
        // Secrets Manager as a SecretStore, IAM access keys and STS.
        .target(
            name: "AegisAWS",
            dependencies: [
                "AegisCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Adapters/AWS",
            swiftSettings: strictSettings
        ),
        // Redis: a small hand-written RESP2 client over SwiftNIO, the `redis-password` step and the
        // `redis-login` check.
        .target(
            name: "AegisRedis",
            dependencies: [
                "AegisCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Adapters/Redis",
            swiftSettings: strictSettings
        ),
        // PostgreSQL: SCRAM-SHA-256 verifiers, the `alter-role-password` step and the
        // `postgres-login` check, over PostgresNIO.
        .target(
            name: "AegisPostgres",
            dependencies: [
                "AegisCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Adapters/Postgres",
            swiftSettings: strictSettings
        ),
        // The runbook's HTTP verification: health component, smoke test, log scan.
        .target(
            name: "AegisHTTPChecks",
            dependencies: [
                "AegisCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/Adapters/HTTPChecks",
            swiftSettings: strictSettings
        ),
        // A stand-in aegis-api (health components that can break, an authenticated findings read).
        .target(
            name: "AegisAPIFake",
            dependencies: [
                "AegisCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Fakes/AegisAPIFake",
            swiftSettings: strictSettings
        ),
        // Kubernetes: kubeconfig and in-cluster config, a small API client over AsyncHTTPClient,
        // the DeployTarget (configmap or secret, rollout restart and status) and pod logs.
        .target(
            name: "AegisKubernetes",
            dependencies: [
                "AegisCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Adapters/Kubernetes",
            swiftSettings: strictSettings
        ),
        // The HTTP loop the token-authenticated provider APIs share: per-call timeout, 429 waits by
        // each provider's own header, https (or loopback http) only.
        .target(
            name: "AegisProviderHTTP",
            dependencies: [
                "AegisCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/Adapters/ProviderHTTP",
            swiftSettings: strictSettings
        ),
        // Okta: API tokens (checked with users/me, the old one revoked by itself) and service-app
        // key pairs (app JWKS, client-credentials token requests signed with the new key).
        .target(
            name: "AegisOkta",
            dependencies: [
                "AegisCore",
                "AegisProviderHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Sources/Adapters/Okta",
            swiftSettings: strictSettings
        ),
        // Anthropic API keys: the new key checked with GET /v1/models, the old one set inactive with
        // the Admin API after verification and archived after the grace period.
        .target(
            name: "AegisAnthropic",
            dependencies: [
                "AegisCore",
                "AegisProviderHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/Adapters/Anthropic",
            swiftSettings: strictSettings
        ),
        // OpenAI API keys: service-account keys minted with the Admin API, console keys checked;
        // the old key deleted after verification and the grace period.
        .target(
            name: "AegisOpenAI",
            dependencies: [
                "AegisCore",
                "AegisProviderHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/Adapters/OpenAI",
            swiftSettings: strictSettings
        ),
        // 1Password Connect as a secret store (stages in the item's own fields), for the dev JWT secret.
        .target(
            name: "AegisOnePassword",
            dependencies: [
                "AegisCore",
                "AegisProviderHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/Adapters/OnePassword",
            swiftSettings: strictSettings
        ),
        // Google Cloud Secret Manager as a secret store (stages in version aliases), with the bot's
        // Google identity from a service-account key, an access token or the metadata server.
        .target(
            name: "AegisGCP",
            dependencies: [
                "AegisCore",
                "AegisProviderHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Sources/Adapters/GCP",
            swiftSettings: strictSettings
        ),
        // PagerDuty Events API v2: escalations page on-call, answers to them acknowledge and resolve.
        .target(
            name: "AegisPagerDuty",
            dependencies: [
                "AegisCore",
                "AegisProviderHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Adapters/PagerDuty",
            swiftSettings: strictSettings
        ),
        // Entra ID client secrets (Graph addPassword / removePassword) stored in Azure Key Vault,
        // with the bot's own identity by the azure-identity conventions.
        .target(
            name: "AegisAzure",
            dependencies: [
                "AegisCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/Adapters/Azure",
            swiftSettings: strictSettings
        ),
        // Every adapter module of this build, one line each: the type catalog and the production wiring.
        .target(
            name: "AegisAdapters",
            dependencies: [
                "AegisCore", "AegisAWS", "AegisKubernetes", "AegisPostgres", "AegisRedis", "AegisHTTPChecks",
                "AegisOkta", "AegisAnthropic", "AegisOpenAI", "AegisAzure", "AegisOnePassword", "AegisPagerDuty", "AegisGCP",
            ],
            path: "Sources/Adapters/Catalog",
            swiftSettings: strictSettings
        ),
        // The chat layer: commands, message model, presenter that renders core events. No transport.
        .target(
            name: "AegisChat",
            dependencies: ["AegisCore"],
            path: "Sources/Chat/Core",
            swiftSettings: strictSettings
        ),
        // The terminal front end of the chat layer (Hubot-style shell adapter).
        .target(
            name: "AegisShell",
            dependencies: ["AegisChat", "AegisCore"],
            path: "Sources/Chat/Shell",
            swiftSettings: strictSettings
        ),
        // Slack's Web API over AsyncHTTPClient: typed methods, per-method 429 handling. No rotation knowledge.
        .target(
            name: "SlackWebAPI",
            dependencies: [
                "AegisCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Sources/Slack/WebAPI",
            swiftSettings: strictSettings
        ),
        // Slack Socket Mode: connections, acks, disconnects, backoff, dedupe. No rotation knowledge.
        .target(
            name: "SlackSocketMode",
            dependencies: [
                "SlackWebAPI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Sources/Slack/SocketMode",
            swiftSettings: strictSettings
        ),
        // The Slack front end of the chat layer: Block Kit rendering, envelopes → commands, approvers.
        .target(
            name: "AegisSlack",
            dependencies: ["AegisChat", "AegisCore", "SlackWebAPI", "SlackSocketMode",
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Metrics", package: "swift-metrics")],
            path: "Sources/Chat/Slack",
            swiftSettings: strictSettings
        ),
        // An in-repo Slack (Web API + Socket Mode) speaking the real wire protocol, for tests and the benchmark.
        .target(
            name: "SlackFake",
            dependencies: [
                "AegisCore", "SlackWebAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Fakes/SlackFake",
            swiftSettings: strictSettings
        ),
        // An in-repo Kubernetes API server good enough for the real kubectl and our client.
        .target(
            name: "KubernetesFake",
            dependencies: [
                "AegisCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Fakes/KubernetesFake",
            swiftSettings: strictSettings
        ),
        // Wiring: configuration → stores, adapters, engine, front ends. Used by the executable and tests.
        .target(
            name: "AegisApp",
            dependencies: [
                "AegisCore", "AegisStateSQLite", "AegisStatePostgres", "AegisLocalSandbox", "AegisChat", "AegisShell", "AegisSlack",
                "SlackWebAPI", "SlackSocketMode",
                "AegisAWS", "AegisKubernetes", "AegisPostgres", "AegisRedis", "AegisHTTPChecks", "AegisAdapters",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Sources/App",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "aegis-rotate",
            dependencies: [
                "AegisApp", "AegisCore", "AegisChat",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Executable",
            exclude: ["link-order.txt"],
            swiftSettings: strictSettings,
            linkerSettings: releaseLinkerSettings
        ),
        // Pushes envelopes through the Slack fake at rising rates; prints ack latency, throughput and
        // memory for aegis-rotate and for a minimal slack_bolt app. A benchmark, not a test.
        .executableTarget(
            name: "aegis-bench",
            dependencies: ["AegisCore", "SlackFake", "SlackWebAPI"],
            path: "Benchmarks/SocketModeBench",
            exclude: ["bolt_app.py"],
            swiftSettings: strictSettings
        ),
        // Real servers the adapter and end-to-end suites start on 127.0.0.1 (PostgreSQL, Redis, moto),
        // process helpers, a staged rotation fixture, log capture and the no-secret check.
        .target(
            name: "AegisTestServers",
            dependencies: [
                "AegisCore", "AegisLocalSandbox", "AegisAWS", "AegisPostgres", "AegisRedis", "AegisAdapters",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Support/TestServers",
            swiftSettings: strictSettings
        ),
        // The real Slack bot (`SlackBot.build`) against the in-repo Slack fake: the harness the Slack
        // suites and the production suites share, and the fake workspace's people and channels.
        .target(
            name: "AegisSlackTestSupport",
            dependencies: [
                "AegisApp", "AegisCore", "AegisLocalSandbox", "AegisTestServers", "SlackFake", "SlackWebAPI", "SlackSocketMode",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Support/SlackTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AegisCoreTests",
            dependencies: [
                "AegisCore", "AegisStateSQLite", "AegisLocalSandbox", "AegisChat", "AegisApp", "AegisAdapters", "AegisTestServers", "AegisAzure", "AegisOnePassword",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/CoreTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AegisSlackTests",
            dependencies: [
                "AegisApp", "AegisAWS", "AegisCore", "AegisChat", "AegisSlack", "SlackWebAPI", "SlackSocketMode", "SlackFake",
                "AegisLocalSandbox", "AegisSlackTestSupport", "AegisTestServers",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Tests/SlackTests",
            exclude: ["python"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AegisHTTPChecksTests",
            dependencies: [
                "AegisHTTPChecks", "AegisKubernetes", "AegisAWS", "AegisAPIFake", "AegisCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/HTTPChecksTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AegisEndToEndTests",
            dependencies: [
                "AegisCore", "AegisAWS", "AegisLocalSandbox", "AegisTestServers",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/EndToEndTests",
            swiftSettings: strictSettings
        ),
        // AWS adapters: published SigV4 vectors, botocore cross-check, moto with signature
        // checking, credential chain against in-process fake servers on 127.0.0.1; the rotation
        // steps through a real engine on a SQLite state store.
        .testTarget(
            name: "AegisAWSTests",
            dependencies: [
                "AegisAWS", "AegisCore", "AegisStateSQLite", "AegisTestServers", "AegisKubernetes",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/AWSTests",
            exclude: ["botocore_sign.py"],
            swiftSettings: strictSettings
        ),
        // Against a real redis-server the tests start on 127.0.0.1.
        .testTarget(
            name: "AegisRedisTests",
            dependencies: [
                "AegisRedis", "AegisCore", "AegisLocalSandbox", "AegisTestServers", "AegisAdapters",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/RedisTests",
            swiftSettings: strictSettings
        ),
        // Against a fresh PostgreSQL 15 cluster the tests create with initdb.
        .testTarget(
            name: "AegisPostgresTests",
            dependencies: [
                "AegisPostgres", "AegisCore", "AegisLocalSandbox", "AegisTestServers",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/PostgresTests",
            swiftSettings: strictSettings
        ),
        // Every state store against one conformance suite (SQLite, and PostgreSQL 15 from initdb).
        .testTarget(
            name: "AegisStateTests",
            dependencies: [
                "AegisCore", "AegisStateSQLite", "AegisStatePostgres", "AegisPostgres", "AegisAdapters", "AegisTestServers",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/StateTests",
            swiftSettings: strictSettings
        ),
        // Production end to end: the real executable and the real Slack bot with AEGIS_ENV=production
        // against PostgreSQL, redis-server and moto, the Kubernetes API fake and the aegis-api fake.
        .testTarget(
            name: "AegisProductionTests",
            dependencies: [
                "AegisApp", "AegisCore", "AegisAWS", "AegisOkta", "AegisPostgres", "AegisRedis", "AegisKubernetes", "AegisAzure",
                "AegisTestServers", "KubernetesFake", "AegisAPIFake", "SlackFake", "SlackWebAPI", "SlackSocketMode",
                "AegisSlackTestSupport", "AegisStatePostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/ProductionTests",
            swiftSettings: strictSettings
        ),
        // Provider adapters against the in-repo provider fakes, and the fakes against the
        // providers' official SDKs.
        .testTarget(
            name: "AegisProviderTests",
            dependencies: [
                "AegisOkta", "AegisOpenAI", "AegisAnthropic", "AegisAzure", "AegisPagerDuty", "AegisGCP", "AegisOnePassword", "AegisCore", "AegisTestServers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ProviderTests",
            swiftSettings: strictSettings
        ),
        // Kubernetes: the real kubectl drives the fake (proving the fake speaks the protocol), then
        // our client, deploy target and log scanner run against it.
        .testTarget(
            name: "AegisKubernetesTests",
            dependencies: [
                "AegisKubernetes", "KubernetesFake", "AegisCore", "AegisTestServers",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/KubernetesTests",
            swiftSettings: strictSettings
        ),
    ]
)
