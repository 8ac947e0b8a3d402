// ann-bench: the Swift side of bench/ann/run.py. Reads raw little-endian float32 files written by the script
// (n × dims, row-major) and builds / sweeps / queries a vecdb database through the public VecDB API, the way an
// application embedding vecdb would: a raw-vector collection, `addVectors` in batches (documents, vectors and
// index links commit together), `nearest` per query (one read transaction per query). Prints JSON lines.
//
//   ann-bench build <vectors.f32> <dims> <db-folder> <M> <efConstruction> <batch> [<buckets.i32>] [--quantization int8]
//       (a line per commit, then totals). With a buckets file (one int32 per row), each row's document carries the
//       metadata {"bucket": N}: then the batches are written as an application with metadata would, through
//       `db.write { batch in batch.putDocument(text:externalID:metadataJSON:); batch.putVector(_:collection:document:) }`.
//   ann-bench sweep <db-folder> <queries.f32> <dims> <truth.i32> <k> <ef,ef,...> <repeats> [--where JSON]
//                   [--mode index|auto|exact] [--threads N]
//       One JSON line per ef. `--mode index` (the default) searches `.index(ef:)`, `auto` `.automatic` (with a filter:
//       the planner; ef is then vecdb's default, the ef list only names the lines), `exact` the scan. Each line says
//       which path the search took ("mode", from `search`'s `SearchResults.mode`, which does not depend on the query)
//       and, with a filter, how many documents it matches, what evaluating it costs alone ("filter_ms", from the
//       filter cache after the first) and what the first query of the snapshot cost, uncached ("first_query_ms").
//       A truth entry < 0 is padding (a filter matching fewer than k documents): recall counts the real ones.
//       With `--threads N`, each pass is one call of the batch API `nearest(collection:queries:…threads: N)` (N read
//       transactions of one snapshot, queries claimed in chunks), the counterpart of hnswlib's batched `knn_query`
//       with `num_threads=N`; "qps_cpu" is then queries per CPU-second of the whole process.
//   ann-bench query <db-folder> <query.f32> <dims>        (open + one search: the "first result" timing)
//   ann-bench rebuild <db-folder> <threads>               (`rebuildIndex` from the stored vectors, same parameters)
//
// Row i of the vectors file is the document with external id "i"; `build` checks that the dense ids vecdb gives them
// are consecutive, so a result's row is its id minus the id of row 0.
import Foundation
import Index
import VecDB

func readFloats(_ path: String) -> [Float] {
    let data = FileManager.default.contents(atPath: path)!
    return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
}

func seconds(_ clock: clockid_t) -> Double {
    var ts = timespec()
    clock_gettime(clock, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func now() -> Double { seconds(CLOCK_MONOTONIC) }

/// CPU time of this thread: unlike wall time, not inflated while other processes hold the (shared, 2-core) CPU.
func cpuNow() -> Double { seconds(CLOCK_THREAD_CPUTIME_ID) }

/// Peak resident set of this process (VmHWM). Not `ru_maxrss`: Linux carries that across exec, so a child of a
/// big Python process would report the parent's peak.
func peakRSSMegabytes() -> Double {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Double(line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0) / 1024
    }
    return 0
}

let collection = "bench"
let args = CommandLine.arguments
switch args.count > 1 ? args[1] : "" {
case "build":
    let dims = Int(args[3])!
    let folder = args[4]
    let options = Array(args.dropFirst(8).drop { !$0.hasPrefix("--") })
    let quantization = options.firstIndex(of: "--quantization").map { Quantization(rawValue: options[$0 + 1])! } ?? .none
    let params = HNSWParameters(M: Int(args[5])!, efConstruction: Int(args[6])!, quantization: quantization)
    let batch = Int(args[7])!
    let all = readFloats(args[2])
    let n = all.count / dims
    try? FileManager.default.removeItem(atPath: folder)
    let t0 = now()
    let db = try VectorDatabase(path: folder, create: true)
    try db.createRawCollection(name: collection, dimensions: dims, index: params)
    let buckets: [Int32]? = args.count > 8 && !args[8].hasPrefix("--") ? FileManager.default.contents(atPath: args[8])!.withUnsafeBytes {
        Array($0.bindMemory(to: Int32.self))
    } : nil
    if let buckets, buckets.count != n { fatalError("\(buckets.count) buckets for \(n) vectors") }
    var start = 0
    while start < n {
        let end = min(start + batch, n)
        let ids: [UInt64]
        if let buckets {
            ids = try db.write { batch in
                try (start..<end).map { i in
                    let v = all[i * dims..<(i + 1) * dims]
                    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    let id = try batch.putDocument(text: "", externalID: String(i), metadataJSON: "{\"bucket\": \(buckets[i])}").id
                    try batch.putVector(v.map { $0 / norm }, collection: collection, document: id)
                    return id
                }
            }
        } else {
            ids = try db.addVectors(collection: collection, (start..<end).map { i in
                (id: String(i), text: "", vector: Array(all[i * dims..<(i + 1) * dims]))
            })
        }
        let row0 = try db.documentID(externalID: "0")!
        guard ids == Array(row0 + UInt64(start)..<row0 + UInt64(end)) else { fatalError("document ids are not consecutive") }
        start = end
        // One line per commit, flushed at once: what a killed build had committed (CLITests' crash test reads it).
        FileHandle.standardOutput.write("{\"committed\": \(start)}\n".data(using: .utf8)!)
        if n >= 200_000 && start % 100_000 == 0 {
            FileHandle.standardError.write("  \(start) inserted, \(String(format: "%.0f", now() - t0)) s\n".data(using: .utf8)!)
        }
    }
    let seconds = now() - t0
    var ru = rusage()
    getrusage(RUSAGE_SELF.rawValue, &ru)
    let cpu = Double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + Double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6
    let used = try db.storageBytes().used
    // The live file keeps pages freed by earlier transactions (LMDB reuses them later); a compacting copy shows
    // the bytes the database itself needs.
    let compact = folder + ".compact"
    try? FileManager.default.removeItem(atPath: compact)
    try db.backup(to: compact, compact: true)
    let compactBytes = (try FileManager.default.attributesOfItem(atPath: compact + "/data.mdb")[.size] as? Int) ?? 0
    try? FileManager.default.removeItem(atPath: compact)
    print("{\"build_s\": \(seconds), \"build_cpu_s\": \(cpu), \"n\": \(n), \"used_bytes\": \(used), \"compact_bytes\": \(compactBytes), \"bytes_per_vector\": \(Double(compactBytes) / Double(n)), \"bytes_per_vector_uncompacted\": \(Double(used) / Double(n)), \"max_rss_mb\": \(peakRSSMegabytes()), \"quantization\": \"\(quantization.rawValue)\", \"walked_bytes_per_vector\": \(try db.indexMetadata(collection: collection)!.traversalBytesPerVector)}")

case "sweep":
    let db = try VectorDatabase(path: args[2], create: false, readOnly: true)
    let dims = Int(args[4])!
    let queries = readFloats(args[3])
    let nq = queries.count / dims
    let k = Int(args[6])!
    let truthData = FileManager.default.contents(atPath: args[5])!
    let truth: [Int32] = truthData.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
    let efs = args[7].split(separator: ",").map { Int($0)! }
    let repeats = Int(args[8])!
    var filter: MetadataFilter?
    var filterJSON = ""
    var modeName = "index"
    var threads: Int?
    var a = 9
    while a + 1 < args.count {
        switch args[a] {
        case "--where": filterJSON = args[a + 1]; filter = try MetadataFilter(json: filterJSON)
        case "--mode": modeName = args[a + 1]
        case "--threads": threads = Int(args[a + 1])!
        default: fatalError("unknown option \(args[a])")
        }
        a += 2
    }
    func mode(_ ef: Int) -> SearchMode {
        switch modeName {
        case "index": return .index(ef: ef)
        case "auto": return .automatic
        case "exact": return .exact
        default: fatalError("--mode index|auto|exact")
        }
    }
    let qs = (0..<nq).map { Array(queries[$0 * dims..<($0 + 1) * dims]) }
    let row0 = try db.documentID(externalID: "0")!
    // Warm-up pass, untimed: faults the map's pages into this process (the page cache is warm already).
    for q in qs { _ = try db.nearest(collection: collection, query: q, k: k, mode: .index(ef: 40)) }
    // What the filter costs alone: evaluating it over the posting lists in a snapshot (every filtered `nearest` does
    // this first), the median of 21.
    var matches = -1
    var filterMs = 0.0
    var filterCpuMs = 0.0
    // The first filtered query of a snapshot, uncached: the filter's evaluation, its documents' index nodes (one pass
    // over the node headers) and the search. Later queries under the filter find both in the filter cache.
    var firstQueryMs = 0.0
    if let filter {
        let t0 = now()
        _ = try db.search(collection: collection, query: qs[0], k: k, mode: mode(efs[0]), filter: filter)
        firstQueryMs = (now() - t0) * 1000
        var t: [Double] = []
        var c: [Double] = []
        for _ in 0..<21 {
            let t0 = now()
            let c0 = cpuNow()
            matches = try db.read { try $0.documents(matching: filter).count }
            t.append(now() - t0)
            c.append(cpuNow() - c0)
        }
        filterMs = t.sorted()[t.count / 2] * 1000
        filterCpuMs = c.sorted()[c.count / 2] * 1000
    }
    for ef in efs {
        var times: [Double] = []
        var cpuTimes: [Double] = []
        var hits = 0
        var expected = 0
        // The path the planner takes depends on the filter's match count and ef, not on the query: ask once.
        let taken = try db.search(collection: collection, query: qs[0], k: k, mode: mode(ef), filter: filter).mode.name
        for r in 0..<repeats {
            var found = 0
            // With threads, the CPU time of every thread of the process.
            let cpu = threads == nil ? CLOCK_THREAD_CPUTIME_ID : CLOCK_PROCESS_CPUTIME_ID
            let t0 = now()
            let c0 = seconds(cpu)
            let answers = try threads.map {
                try db.nearest(collection: collection, queries: qs, k: k, mode: mode(ef), filter: filter, threads: $0)
            } ?? qs.map { try db.nearest(collection: collection, query: $0, k: k, mode: mode(ef), filter: filter) }
            times.append(now() - t0)
            cpuTimes.append(seconds(cpu) - c0)
            if r == 0 {
                for (qi, res) in answers.enumerated() {
                    let t = truth[qi * k..<(qi + 1) * k]
                    for h in res where t.contains(Int32(h.id - row0)) { found += 1 }
                }
            }
            if r == 0 { hits = found }
        }
        expected = truth.prefix(nq * k).filter { $0 >= 0 }.count
        times.sort()
        cpuTimes.sort()
        let median = times[times.count / 2]
        let cpuMedian = cpuTimes[cpuTimes.count / 2]
        var line = "{\"ef\": \(ef), \"recall_at_10\": \(Double(hits) / Double(max(expected, 1))), \"qps\": \(Double(nq) / median), \"qps_cpu\": \(Double(nq) / cpuMedian), \"runs_s\": \(times)"
        if filter != nil || modeName != "index" {
            line += ", \"requested\": \"\(modeName)\", \"mode\": \"\(taken)\""
        }
        if let threads { line += ", \"threads\": \(threads)" }
        if filter != nil {
            line += ", \"matches\": \(matches), \"filter_ms\": \(filterMs), \"filter_cpu_ms\": \(filterCpuMs), \"first_query_ms\": \(firstQueryMs)"
        }
        print(line + "}")
    }

case "query":
    let db = try VectorDatabase(path: args[2], create: false, readOnly: true)
    let dims = Int(args[4])!
    let q = readFloats(args[3])
    let res = try db.nearest(collection: collection, query: Array(q.prefix(dims)), k: 10, mode: .index(ef: 40))
    print(res.first.map { "\($0.id - (try! db.documentID(externalID: "0")!)) \($0.score)" } ?? "none")

case "rebuild":
    let db = try VectorDatabase(path: args[2], create: false)
    let threads = Int(args[3])!
    let current = try db.collection(named: collection)!.index!
    let t0 = now()
    let meta = try db.rebuildIndex(collection: collection, parameters: current, threads: threads)
    print("{\"rebuild_s\": \(now() - t0), \"threads\": \(threads), \"n\": \(meta.count), \"layers\": \(meta.maxLevel + 1)}")

default:
    print("usage: ann-bench build|sweep|query|rebuild …")
    exit(2)
}
