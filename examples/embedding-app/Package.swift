// swift-tools-version:6.0
// An application that embeds vecdb the way an application embeds any database: as a package dependency pinned by
// version. scripts/test-example builds it against a clone of the checkout (VECDB_PACKAGE_URL=file://…, tagged 0.2.0).
import PackageDescription

let package = Package(
    name: "embedding-app",
    platforms: [.macOS(.v13)],
    dependencies: [
        // The https URL is where the released package is to be published; VECDB_PACKAGE_URL points elsewhere.
        .package(url: Context.environment["VECDB_PACKAGE_URL"] ?? "https://github.com/vecdb/vecdb.git", from: "0.2.0"),
    ],
    targets: [
        .executableTarget(name: "embedding-app", dependencies: [
            .product(name: "VecDB", package: "vecdb"), .product(name: "VecDBModels", package: "vecdb"),
        ]),
    ]
)
