// swift-tools-version:6.0
import PackageDescription

/// Swift emits AVX-512 only when told the target CPU has it; the SIMD kernels (distances, activations,
/// layer norms) lose 2–4× without it. `VECDB_TARGET_CPU` overrides the default for machines without AVX-512
/// (for example `haswell`); `generic` leaves the compiler's baseline.
let targetCPU: String = {
    #if arch(x86_64)
    return Context.environment["VECDB_TARGET_CPU"] ?? "skylake-avx512"
    #else
    return Context.environment["VECDB_TARGET_CPU"] ?? "generic"
    #endif
}()
let cpuSettings: [SwiftSetting] = targetCPU == "generic" ? [] : [.unsafeFlags(["-target-cpu", targetCPU])]

let package = Package(
    name: "vecdb",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vecdb", targets: ["vecdb-cli"]),
        .library(name: "VecDB", targets: ["VecDB"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
        .target(name: "LMDB", dependencies: ["CLMDB"], swiftSettings: cpuSettings),
        .target(name: "BLAS", dependencies: ["CCPUID"], swiftSettings: cpuSettings,
                linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CPrefetch"),
        .target(name: "Index", dependencies: ["LMDB", "CPrefetch", "Kernels"], swiftSettings: cpuSettings),
        .target(name: "SeededRandom"),
        .target(name: "Embedder", dependencies: ["BLAS", "SeededRandom", "Kernels"], swiftSettings: cpuSettings),
        .target(name: "VecDB", dependencies: ["LMDB", "Index", "Embedder", "BLAS", "Kernels"], swiftSettings: cpuSettings),
        .executableTarget(
            name: "vecdb-cli",
            dependencies: ["VecDB", "BLAS", "Index", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: cpuSettings
        ),
        .executableTarget(name: "embed-bench", dependencies: ["Embedder", "BLAS"], path: "bench/embed/Sources",
                          swiftSettings: cpuSettings),
        .executableTarget(name: "ann-bench", dependencies: ["VecDB", "Index"], path: "bench/ann/Sources",
                          swiftSettings: cpuSettings),
        .executableTarget(name: "llama-bench", dependencies: ["Embedder", "BLAS"], path: "bench/llama/Sources",
                          swiftSettings: cpuSettings),
        .target(name: "TestSupport", dependencies: ["SeededRandom"], path: "Tests/TestSupport"),
        .target(name: "CrashMatrix", dependencies: ["VecDB", "TestSupport"], path: "bench/reliability/Sources/CrashMatrix",
                swiftSettings: cpuSettings),
        .executableTarget(name: "crash-matrix", dependencies: ["CrashMatrix"], path: "bench/reliability/Sources/crash-matrix",
                          swiftSettings: cpuSettings),
        .target(name: "Fuzzing", dependencies: ["Embedder", "VecDB"], path: "bench/fuzz/Fuzzing", swiftSettings: cpuSettings),
        .executableTarget(name: "vecdb-fuzz", dependencies: ["Fuzzing", "TestSupport"], path: "bench/fuzz/Sources",
                          swiftSettings: cpuSettings),
        .executableTarget(name: "vecdb-libfuzzer", dependencies: ["Fuzzing"], path: "bench/fuzz/LibFuzzer",
                          swiftSettings: cpuSettings),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB"], swiftSettings: cpuSettings),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "CKernels"]),
        .testTarget(name: "IndexTests", dependencies: ["Index", "TestSupport"], swiftSettings: cpuSettings),
        .testTarget(name: "EmbedderTests", dependencies: ["Embedder", "Fuzzing", "TestSupport"], resources: [.copy("Fixtures")],
                    swiftSettings: cpuSettings),
        .testTarget(name: "CLITests", dependencies: ["VecDB", "LMDB", "TestSupport", "CrashMatrix"], swiftSettings: cpuSettings),
        .testTarget(name: "FuzzTests", dependencies: ["Fuzzing", "TestSupport"], swiftSettings: cpuSettings),
        .testTarget(name: "VecDBTests", dependencies: ["VecDB", "LMDB", "TestSupport"], resources: [.copy("Fixtures")],
                    swiftSettings: cpuSettings),
    ]
)
