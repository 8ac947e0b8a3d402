// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "vecdb",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vecdb", targets: ["vecdb-cli"]),
        .library(name: "VecDB", targets: ["VecDB"]),
        .library(name: "VecDBModels", targets: ["Models"]),
        .library(name: "VecDBEvaluation", targets: ["Evaluation", "Training"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(name: "CCPUID"),
        // The numeric kernels, in C so that each set can carry its own `target` attribute (no compiler flags), and
        // their Swift face; Index and Embedder reach every kernel through `Kernels`.
        .target(name: "CKernels", dependencies: ["CCPUID"]),
        .target(name: "Kernels", dependencies: ["CKernels"]),
        .target(name: "LMDB", dependencies: ["CLMDB"]),
        .target(name: "BLAS", dependencies: ["CCPUID"],
                linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CPrefetch"),
        .target(name: "Index", dependencies: ["LMDB", "CPrefetch", "Kernels"]),
        .target(name: "SeededRandom"),
        .target(name: "Embedder", dependencies: ["BLAS", "SeededRandom", "Kernels"]),
        .target(name: "Lexical", dependencies: ["Kernels"]),
        .target(name: "VecDB", dependencies: ["LMDB", "Index", "Embedder", "BLAS", "Kernels", "Lexical"]),
        .target(name: "Models", dependencies: ["VecDB", "Embedder", "BLAS", "Lexical"]),
        .target(name: "Evaluation", dependencies: ["VecDB", "Kernels"]),
        .target(name: "Training", dependencies: ["VecDB", "Models", "Evaluation", "Embedder", "BLAS"]),
        // The JSON shapes the CLI prints and the server answers (`info --json` is `GET /v1/info`), made in one place.
        .target(name: "Reports", dependencies: ["VecDB", "Evaluation", "Index", "BLAS", "Kernels", "Embedder"]),
        .target(name: "Server", dependencies: [
            "VecDB", "Models", "Reports", "Evaluation", "Index",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], resources: [.embedInCode("Web/index.html"), .embedInCode("Web/app.js"), .embedInCode("Web/app.css")]),
        .executableTarget(
            name: "vecdb-cli",
            dependencies: ["VecDB", "Models", "Evaluation", "Training", "Embedder", "BLAS", "Index", "Kernels", "SeededRandom",
                           "Reports", "Server", .product(name: "Logging", package: "swift-log"),
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "embed-bench", dependencies: ["Embedder", "BLAS"], path: "bench/embed/Sources"),
        .executableTarget(name: "ann-bench", dependencies: ["VecDB", "Index"], path: "bench/ann/Sources"),
        .executableTarget(name: "llama-bench", dependencies: ["Embedder", "BLAS"], path: "bench/llama/Sources"),
        .executableTarget(name: "bm25-bench", dependencies: ["VecDB", "Lexical"], path: "bench/bm25/Sources"),
        .target(name: "TestSupport", dependencies: ["SeededRandom"], path: "Tests/TestSupport"),
        .target(name: "CrashMatrix", dependencies: ["VecDB", "TestSupport"], path: "Tests/CrashMatrix"),
        .executableTarget(name: "crash-matrix", dependencies: ["CrashMatrix"], path: "bench/reliability/Sources/crash-matrix"),
        .target(name: "Fuzzing", dependencies: ["Embedder", "VecDB"], path: "Tests/Fuzzing"),
        .executableTarget(name: "vecdb-fuzz", dependencies: ["Fuzzing", "TestSupport"], path: "bench/fuzz/Sources"),
        .executableTarget(name: "vecdb-libfuzzer", dependencies: ["Fuzzing"], path: "bench/fuzz/LibFuzzer"),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB"]),
        .testTarget(name: "LexicalTests", dependencies: ["Lexical", "Kernels", "SeededRandom"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "CKernels", "SeededRandom"]),
        .testTarget(name: "IndexTests", dependencies: ["Index", "TestSupport"]),
        .testTarget(name: "EmbedderTests", dependencies: ["Embedder", "Fuzzing", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CLITests", dependencies: ["VecDB", "Models", "LMDB", "TestSupport", "CrashMatrix"]),
        .testTarget(name: "FuzzTests", dependencies: ["Fuzzing", "TestSupport"]),
        .testTarget(name: "ServerTests", dependencies: [
            "Server", "VecDB", "Models",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ], resources: [.copy("Fixtures")]),
        .testTarget(name: "VecDBTests", dependencies: ["VecDB", "Models", "Evaluation", "Training", "Embedder", "LMDB", "Lexical",
                                                       "SeededRandom", "TestSupport"],
                    resources: [.copy("Fixtures")]),
    ]
)
