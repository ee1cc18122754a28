// swift-tools-version:6.1
import PackageDescription

// SceneFlow: a typed dependency graph for generative UGC video templates, run like a build system.
//
// Layering (see docs/architecture.md): the CLI is a thin layer of argument-parser commands over
// libraries that never import ArgumentParser. Each C library is owned by exactly one module.
//
// Linux only: the HTTP transport drives libcurl with epoll and eventfd, and child processes are
// started with Linux's prctl(PR_SET_PDEATHSIG) and pidfd (see Sources/CSpawn).
let package = Package(
    name: "SceneFlow",
    products: [
        .executable(name: "sceneflow", targets: ["sceneflow"]),
        .library(name: "SceneFlowTemplate", targets: ["SceneFlowTemplate"]),
        .library(name: "SceneFlowRun", targets: ["SceneFlowRun"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        // `sceneflow serve`: the HTTP server (SwiftNIO underneath, swift-service-lifecycle for
        // graceful shutdown), without the swift-configuration trait we do not use.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        // Hummingbird's own foundations, named for the server's gate: NIO's HTTP parser errors, the
        // channel handler that shapes them, and the service group that orders a graceful shutdown.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // Team mode: the store on PostgreSQL (SwiftNIO's PostgreSQL client, the one Vapor and
        // Hummingbird use; it shares the event loops the server already builds).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.25.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Tests only: property-based testing on Swift Testing (generated templates of every size and shape).
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // The bottom layer: atomic files and copies, digests, money, one JSON setup, the version.
        .target(
            name: "SceneFlowBasics",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // The template side: located JSON/YAML reading, the template model, validation and its
        // diagnostics, the model registry, the resolved graph and its algorithms, prompts, the
        // diagram model (a run's overlay comes in as data), the plan and its schedule, hydration
        // inputs and their checks. Knows nothing of runs.
        .target(
            name: "SceneFlowTemplate",
            dependencies: [
                "SceneFlowBasics",
                .product(name: "Yams", package: "Yams"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        // The run side: the scheduler, jobs, cache keys and the content-addressed cache, takes,
        // reports and events, finishing (captions, OTIO), run folders, the workspace, and the
        // store and blob-store protocols (team mode implements them without touching the rest).
        .target(
            name: "SceneFlowRun",
            dependencies: ["SceneFlowBasics", "SceneFlowTemplate", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // libcgraph + libgvc (Debian: libgraphviz-dev). Only SceneFlowGraphviz imports it.
        .systemLibrary(
            name: "CGraphviz",
            pkgConfig: "libgvc",
            providers: [.apt(["libgraphviz-dev"])]
        ),
        // Renders `Diagram`s in-process through libcgraph/libgvc, serialised by one actor.
        .target(name: "SceneFlowGraphviz", dependencies: ["CGraphviz", "SceneFlowBasics", "SceneFlowTemplate"]),
        // libcurl (Debian: libcurl4-openssl-dev). Only SceneFlowHTTP imports it.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // zlib (Debian: zlib1g-dev): PNG image data inflated in process. Only SceneFlowProviders imports it.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Starting child processes: fork/exec with a parent-death signal, in C (async-signal-safe).
        .target(name: "CSpawn"),
        // The one way to run a child process (ffmpeg, espeak-ng; in tests sceneflow and servers).
        .target(name: "SceneFlowProcess", dependencies: ["CSpawn"]),
        // An HTTP client over curl_multi, on a thread of its own.
        .target(name: "SceneFlowHTTP", dependencies: ["CCurl"]),
        // Generators: the local engine (ffmpeg, espeak-ng) and the remote providers (fal, Gemini, Veo, ElevenLabs).
        .target(name: "SceneFlowProviders", dependencies: ["SceneFlowBasics", "SceneFlowTemplate", "SceneFlowRun", "SceneFlowHTTP", "SceneFlowProcess", "CZlib"]),
        // The embedded store: the workspace database (SQLite through GRDB) behind the store protocols.
        .target(
            name: "SceneFlowStore",
            dependencies: [
                "SceneFlowBasics", "SceneFlowTemplate", "SceneFlowRun",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Team mode's store: assets, run history and picks in PostgreSQL (postgres-nio) behind the
        // store protocols, its versioned migrations, and the blob stores for shared bytes (a
        // folder every host mounts, or S3-compatible storage over SceneFlowHTTP's libcurl).
        .target(
            name: "SceneFlowTeam",
            dependencies: [
                "SceneFlowBasics", "SceneFlowTemplate", "SceneFlowRun", "SceneFlowHTTP", "SceneFlowStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The one way to hydrate (run, each product of a batch, the server): checks, scheduler, report, history.
        .target(
            name: "SceneFlowSession",
            dependencies: ["SceneFlowBasics", "SceneFlowTemplate", "SceneFlowRun", "SceneFlowProviders", "SceneFlowStore", "SceneFlowGraphviz"]
        ),
        // `sceneflow serve`: the HTTP API over the same libraries as the CLI (Hummingbird 2).
        .target(
            name: "SceneFlowServer",
            dependencies: [
                "SceneFlowBasics", "SceneFlowTemplate", "SceneFlowRun",
                "SceneFlowGraphviz",
                "SceneFlowProviders",
                "SceneFlowStore",
                "SceneFlowSession",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: ["common.js", "lists.js", "editor.js", "hydrate.js", "run.js", "products.js", "boot.js", "app.css"].map {
                .embedInCode("Pages/Assets/\($0)")
            }
        ),
        // argument-parser commands; thin over the libraries.
        .target(
            name: "SceneFlowCLI",
            dependencies: [
                "SceneFlowBasics", "SceneFlowTemplate", "SceneFlowRun",
                "SceneFlowGraphviz",
                "SceneFlowProviders",
                "SceneFlowStore",
                "SceneFlowTeam",
                "SceneFlowSession",
                "SceneFlowServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "sceneflow", dependencies: ["SceneFlowCLI"]),
        // `swift run -c release sceneflow-bench`: prints the speed figures the issues ask for.
        // `providers` starts the loopback provider server of the test support target.
        .executableTarget(name: "sceneflow-bench", dependencies: ["SceneFlowBasics", "SceneFlowTemplate", "SceneFlowRun", "SceneFlowGraphviz", "SceneFlowProviders", "SceneFlowHTTP", "SceneFlowStore", "SceneFlowTeam", "SceneFlowTestSupport", "SceneFlowProcess"]),
        .testTarget(
            name: "SceneFlowTemplateTests",
            dependencies: ["SceneFlowTestTags", "SceneFlowBasics", "SceneFlowTemplate", "SceneFlowRun", .product(name: "PropertyBased", package: "swift-property-based")],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SceneFlowRunTests",
            dependencies: ["SceneFlowTestTags", "SceneFlowBasics", "SceneFlowTemplate", "SceneFlowRun", "SceneFlowProviders", "SceneFlowTestSupport", .product(name: "PropertyBased", package: "swift-property-based")],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "SceneFlowStoreTests",
            dependencies: ["SceneFlowTestTags", "SceneFlowStore", "SceneFlowBasics", "SceneFlowTemplate", "SceneFlowRun", "SceneFlowTestSupport"]
        ),
        // Team mode against real PostgreSQL and S3-compatible servers (scripts/team-services).
        .testTarget(
            name: "SceneFlowTeamTests",
            dependencies: ["SceneFlowTestTags", "SceneFlowTeam", "SceneFlowStore", "SceneFlowHTTP", "SceneFlowProcess", "SceneFlowBasics", "SceneFlowTemplate", "SceneFlowRun", "SceneFlowTestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "SceneFlowGraphvizTests",
            dependencies: ["SceneFlowTestTags", "SceneFlowGraphviz", "SceneFlowBasics", "SceneFlowTemplate", "SceneFlowRun", "SceneFlowTestSupport"]
        ),
        // The test tiers' tags, once for every test target.
        .target(name: "SceneFlowTestTags", path: "Tests/SceneFlowTestTags"),
        // Shared by the test targets: running the built `sceneflow`, the loopback provider server.
        .target(
            name: "SceneFlowTestSupport",
            dependencies: ["SceneFlowProcess"],
            path: "Tests/SceneFlowTestSupport",
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "SceneFlowCLITests",
            dependencies: ["SceneFlowTestTags", "SceneFlowBasics", "SceneFlowTemplate", "SceneFlowRun", "SceneFlowTestSupport", .product(name: "PropertyBased", package: "swift-property-based")],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "SceneFlowProcessTests", dependencies: ["SceneFlowTestTags", "SceneFlowProcess"]),
        // `sceneflow serve` as a real server process on a loopback port, spoken to with curl.
        .testTarget(
            name: "SceneFlowServerTests",
            dependencies: ["SceneFlowTestTags", "SceneFlowServer", "SceneFlowBasics", "SceneFlowTemplate", "SceneFlowRun", "SceneFlowTestSupport", .product(name: "Logging", package: "swift-log")],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "SceneFlowProviderTests",
            dependencies: ["SceneFlowTestTags", "SceneFlowProviders", "SceneFlowHTTP", "SceneFlowBasics", "SceneFlowTemplate", "SceneFlowRun", "SceneFlowTestSupport"],
            exclude: ["Fixtures"]
        ),
    ]
)
