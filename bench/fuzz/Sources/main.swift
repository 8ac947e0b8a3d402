import Foundation
import Fuzzing
import TestSupport

// vecdb-fuzz: seeded mutation fuzzing of the parsers and tokenizers, for a fixed time per target.
//
//   vecdb-fuzz TARGET|all [--seconds 60] [--seed 1] [--timeout-ms 2000] [--max-rss-mb 2048] [--out bench/out/fuzz]
//   vecdb-fuzz TARGET --replay FILE…
//   vecdb-fuzz TARGET --write-seeds DIR     (the seeds as files, e.g. a libFuzzer corpus)
//
// Every input is a mutation of a valid seed (or of an earlier accepted mutant). A crash or a hang (one input
// running past --timeout-ms) writes the input to OUT/TARGET-crash.bin or -hang.bin and exits non-zero; so does
// a resident set above --max-rss-mb, which is how a header claiming 2^60 bytes would show up. The summary is
// one JSON line per target.

struct Options {
    var targets: [FuzzTarget] = []
    var seconds = 60.0
    var seed: UInt64 = 1
    var timeoutMs = 2000
    var maxRSSMB = 2048
    var out = URL(fileURLWithPath: "bench/out/fuzz")
    var replay: [String] = []
    var writeSeeds: URL?

    init(_ arguments: [String]) {
        var args = arguments[...]
        func value() -> String {
            guard let v = args.popFirst() else { usage("missing value") }
            return v
        }
        while let a = args.popFirst() {
            switch a {
            case "--seconds": seconds = Double(value()) ?? { usage("bad --seconds") }()
            case "--seed": seed = UInt64(value()) ?? { usage("bad --seed") }()
            case "--timeout-ms": timeoutMs = Int(value()) ?? { usage("bad --timeout-ms") }()
            case "--max-rss-mb": maxRSSMB = Int(value()) ?? { usage("bad --max-rss-mb") }()
            case "--out": out = URL(fileURLWithPath: value())
            case "--replay": replay = Array(args); args = []
            case "--write-seeds": writeSeeds = URL(fileURLWithPath: value())
            case "all": targets = FuzzTarget.allCases
            default:
                guard let t = FuzzTarget(rawValue: a) else { usage("unknown target '\(a)'") }
                targets.append(t)
            }
        }
        if targets.isEmpty { usage("no target") }
    }
}

func usage(_ why: String) -> Never {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
    FileHandle.standardError.write(Data("vecdb-fuzz: \(why)\nusage: vecdb-fuzz \(names)|all [--seconds N] [--seed S] [--timeout-ms T] [--max-rss-mb M] [--out DIR] [--replay FILE… | --write-seeds DIR]\n".utf8))
    exit(2)
}

/// The input being run, where the signal handler and the watchdog can reach it without locks or allocation.
struct CurrentInput {
    nonisolated(unsafe) static var bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    nonisolated(unsafe) static var count = 0
    nonisolated(unsafe) static var capacity = 1
    /// Nanoseconds since boot when the input started, 0 between inputs.
    nonisolated(unsafe) static var started: UInt64 = 0
    nonisolated(unsafe) static var crashFD: Int32 = -1
    nonisolated(unsafe) static var hangFD: Int32 = -1

    static func set(_ input: [UInt8]) {
        if input.count > capacity {
            bytes.deallocate()
            capacity = input.count
            bytes = .allocate(capacity: capacity)
        }
        input.withUnsafeBufferPointer { bytes.update(from: $0.baseAddress!, count: input.count) }
        count = input.count
    }

    /// Writes the input to `fd` and leaves; only async-signal-safe calls.
    static func dump(to fd: Int32, status: Int32) -> Never {
        var written = 0
        while written < count {
            let n = write(fd, bytes + written, count - written)
            if n <= 0 { break }
            written += n
        }
        _exit(status)
    }
}

func nowNanos() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

/// Current resident set in MiB, from /proc/self/statm (pages).
func residentMB() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE))) >> 20
}

func peakResidentMB() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss >> 10
}

func openDump(_ url: URL) -> Int32 {
    open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
}

func installCrashHandlers() {
    for sig in [SIGSEGV, SIGILL, SIGTRAP, SIGBUS, SIGABRT, SIGFPE] {
        signal(sig) { _ in
            let message = "vecdb-fuzz: crash; input saved\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
            CurrentInput.dump(to: CurrentInput.crashFD, status: 3)
        }
    }
}

func startWatchdog(timeoutMs: Int) {
    let thread = Thread {
        while true {
            usleep(50_000)
            let started = CurrentInput.started
            if started != 0, nowNanos() &- started > UInt64(timeoutMs) * 1_000_000 {
                FileHandle.standardError.write(Data("vecdb-fuzz: one input ran past \(timeoutMs) ms; input saved\n".utf8))
                CurrentInput.dump(to: CurrentInput.hangFD, status: 4)
            }
        }
    }
    thread.start()
}

func run(_ target: FuzzTarget, _ options: Options, _ context: FuzzContext) throws {
    try FileManager.default.createDirectory(at: options.out, withIntermediateDirectories: true)
    CurrentInput.crashFD = openDump(options.out.appendingPathComponent("\(target.rawValue)-crash.bin"))
    CurrentInput.hangFD = openDump(options.out.appendingPathComponent("\(target.rawValue)-hang.bin"))
    // Reached only when nothing crashed or hung (those end the process): the empty dump files go.
    defer {
        close(CurrentInput.crashFD)
        close(CurrentInput.hangFD)
        for name in ["crash", "hang"] {
            try? FileManager.default.removeItem(at: options.out.appendingPathComponent("\(target.rawValue)-\(name).bin"))
        }
    }

    func one(_ input: [UInt8]) throws -> FuzzTarget.Outcome {
        CurrentInput.set(input)
        CurrentInput.started = nowNanos()
        defer { CurrentInput.started = 0 }
        do {
            return try target.run(input, in: context)
        } catch let failure as FuzzFailure {
            try Data(input).write(to: options.out.appendingPathComponent("\(target.rawValue)-failure.bin"))
            throw failure
        }
    }

    if !options.replay.isEmpty {
        for path in options.replay {
            let outcome = try one(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            print("\(path): \(outcome)")
        }
        return
    }

    let seeds = try SeedCorpus.seeds(for: target, context: context)
    if let folder = options.writeSeeds {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (i, seed) in seeds.enumerated() { try Data(seed).write(to: folder.appendingPathComponent("seed-\(i)")) }
        return
    }
    for seed in seeds {
        let outcome = try one(seed)
        guard outcome == .accepted else { throw FuzzFailure("\(target.rawValue): a seed is rejected: \(outcome)") }
    }
    var pool = seeds
    var mutator = ByteMutator(seed: options.seed)
    var inputs = 0, accepted = 0, slowestNanos: UInt64 = 0
    var messages = Set<String>()
    let start = nowNanos(), budget = UInt64(options.seconds * 1e9)
    while nowNanos() - start < budget {
        let base = pool[Int.random(in: 0..<pool.count, using: &mutator.generator)]
        let other = pool[Int.random(in: 0..<pool.count, using: &mutator.generator)]
        let input = mutator.mutate(base, other: other)
        let began = nowNanos()
        let outcome = try one(input)
        if nowNanos() - began > slowestNanos {
            slowestNanos = nowNanos() - began
            // Kept for a look at what is slow (not a failure below the timeout).
            try Data(input).write(to: options.out.appendingPathComponent("\(target.rawValue)-slowest.bin"))
        }
        inputs += 1
        switch outcome {
        case .accepted:
            accepted += 1
            // Accepted mutants are new valid shapes to mutate further; keep a bounded, varied pool.
            if input.count <= 1 << 20 {
                if pool.count < 512 { pool.append(input) } else { pool[Int.random(in: seeds.count..<pool.count, using: &mutator.generator)] = input }
            }
        case .rejected(let message):
            if messages.count < 100_000 { messages.insert(String(message.prefix(80))) }
        }
        if inputs % 256 == 0, residentMB() > options.maxRSSMB {
            try Data(input).write(to: options.out.appendingPathComponent("\(target.rawValue)-memory.bin"))
            throw FuzzFailure("\(target.rawValue): resident set \(residentMB()) MiB above \(options.maxRSSMB) MiB")
        }
    }
    let seconds = Double(nowNanos() - start) / 1e9
    let summary: [String: Any] = [
        "target": target.rawValue, "seed": options.seed, "inputs": inputs, "accepted": accepted, "rejected": inputs - accepted,
        "distinct_errors": messages.count, "seconds": (seconds * 10).rounded() / 10,
        "inputs_per_second": Int(Double(inputs) / seconds), "slowest_input_ms": Int(slowestNanos / 1_000_000),
        "peak_rss_mb": peakResidentMB(), "crashes": 0, "hangs": 0,
    ]
    print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
    // One summary line per target as it finishes, even into a pipe or a file.
    fflush(nil)
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
// bench/fuzz/Sources/main.swift → the repository root, where the fixtures are.
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
do {
    let context = try FuzzContext(repository: repository)
    installCrashHandlers()
    startWatchdog(timeoutMs: options.timeoutMs)
    for target in options.targets { try run(target, options, context) }
} catch {
    FileHandle.standardError.write(Data("vecdb-fuzz: \(error)\n".utf8))
    exit(1)
}
