import CCPUID
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS, loaded at run time so that vecdb can pick its kernel first.
///
/// OpenBLAS 0.3.21 (Debian 12) mis-detects recent Xeons as "Prescott" and then runs sgemm with SSE3 kernels,
/// 6–20× below what the AVX-512 kernels reach. `OPENBLAS_CORETYPE` fixes that, but OpenBLAS reads it only while
/// the library is being loaded — a normal link would load it before `main`. So vecdb reads cpuid, sets the
/// variable (unless the user already has), `dlopen`s the library, and checks one product against a plain loop
/// before trusting it.
public final class BLAS: Sendable {
    /// Which kernel runs, and how it was chosen: shown by `vecdb info`.
    public struct Kernel: Sendable, Codable, Equatable {
        /// The core OpenBLAS reports it is running (`openblas_get_corename`), e.g. "cooperlake".
        public var core: String
        /// The build configuration OpenBLAS reports (`openblas_get_config`).
        public var config: String
        /// The path of the loaded library.
        public var library: String
        /// Why this core: chosen by vecdb from cpuid, set by the user, or OpenBLAS's own detection.
        public var choice: String
        /// Largest relative error of the start-up check product against a double-precision loop.
        public var checkError: Double
        /// Worker threads OpenBLAS uses.
        public var threads: Int
    }

    public enum Transpose: Sendable { case none, transposed }

    private typealias SgemmFunction = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
    ) -> Void
    private typealias StringFunction = @convention(c) () -> UnsafePointer<CChar>?
    private typealias SetThreadsFunction = @convention(c) (Int32) -> Void
    private typealias GetThreadsFunction = @convention(c) () -> Int32

    private let sgemmFunction: SgemmFunction
    private let setThreadsFunction: SetThreadsFunction?
    private let getThreadsFunction: GetThreadsFunction?
    private let kernelNoThreads: Kernel

    /// The process-wide library, loaded and checked on first use.
    public static func shared() throws -> BLAS { try loaded.get() }

    private static let loaded: Result<BLAS, BLASError> = {
        do throws(BLASError) { return .success(try BLAS()) } catch { return .failure(error) }
    }()

    /// Names tried in order; `VECDB_OPENBLAS` names another file.
    private static var libraryCandidates: [String] {
        var names = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"]
        if let custom = ProcessInfo.processInfo.environment["VECDB_OPENBLAS"], !custom.isEmpty {
            names.insert(custom, at: 0)
        }
        return names
    }

    private init() throws(BLASError) {
        let choice = BLAS.chooseCore()
        var handle: UnsafeMutableRawPointer?
        var loadedName = ""
        var errors: [String] = []
        for name in BLAS.libraryCandidates {
            if let h = dlopen(name, RTLD_NOW | RTLD_LOCAL) {
                handle = h
                loadedName = name
                break
            }
            errors.append(dlerror().map { String(cString: $0) } ?? name)
        }
        guard let handle else {
            throw BLASError.libraryNotFound(errors.joined(separator: "; "))
        }
        func symbol<T>(_ name: String, as type: T.Type) -> T? {
            guard let pointer = dlsym(handle, name) else { return nil }
            return unsafeBitCast(pointer, to: type)
        }
        guard let sgemm = symbol("cblas_sgemm", as: SgemmFunction.self) else {
            throw BLASError.missingSymbol("cblas_sgemm", loadedName)
        }
        sgemmFunction = sgemm
        setThreadsFunction = symbol("openblas_set_num_threads", as: SetThreadsFunction.self)
        getThreadsFunction = symbol("openblas_get_num_threads", as: GetThreadsFunction.self)
        let coreName = symbol("openblas_get_corename", as: StringFunction.self)?().map { String(cString: $0) }
        let config = symbol("openblas_get_config", as: StringFunction.self)?().map { String(cString: $0) }
        kernelNoThreads = Kernel(
            core: coreName ?? "unknown", config: config ?? "unknown", library: loadedName,
            choice: choice, checkError: 0, threads: 0)
        let error = BLAS.checkProduct(sgemm)
        guard error < 1e-4 else {
            throw BLASError.wrongResults(core: coreName ?? "unknown", relativeError: error)
        }
        checkErrorValue = error
    }

    private let checkErrorValue: Double

    /// The kernel in use, with the thread count at this moment.
    public var kernel: Kernel {
        var k = kernelNoThreads
        k.checkError = checkErrorValue
        k.threads = Int(getThreadsFunction?() ?? 0)
        return k
    }

    /// Sets OpenBLAS's worker threads (1 keeps a caller's own parallelism from oversubscribing cores).
    public func setThreads(_ count: Int) {
        setThreadsFunction?(Int32(max(1, count)))
    }

    /// C = alpha · op(A) · op(B) + beta · C, all row-major. op(A) is m×k, op(B) is k×n, C is m×n.
    public func sgemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let rowMajor: Int32 = 101
        func code(_ t: Transpose) -> Int32 { t == .none ? 111 : 112 }
        sgemmFunction(rowMajor, code(transA), code(transB), Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda),
                      b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Picks the OpenBLAS core for this CPU before the library loads, and says why.
    private static func chooseCore() -> String {
        if let set = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !set.isEmpty {
            return "OPENBLAS_CORETYPE=\(set) set by the user"
        }
        let f = vecdb_cpu_detect()
        let core: String?
        if f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512bf16 {
            core = "Cooperlake"
        } else if f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq {
            core = "SkylakeX"
        } else if f.avx2 && f.fma {
            core = "Haswell"
        } else {
            core = nil
        }
        guard let core else { return "OpenBLAS's own detection (no AVX2 on this CPU)" }
        setenv("OPENBLAS_CORETYPE", core, 1)
        return "OPENBLAS_CORETYPE=\(core) chosen by vecdb from cpuid"
    }

    /// Multiplies odd-sized matrices (edge kernels included) and compares with a double-precision loop.
    private static func checkProduct(_ sgemm: SgemmFunction) -> Double {
        let m = 67, n = 45, k = 131
        var a = [Float](repeating: 0, count: m * k)
        var b = [Float](repeating: 0, count: k * n)
        for i in 0..<a.count { a[i] = Float((i * 7919) % 201 - 100) / 100 }
        for i in 0..<b.count { b[i] = Float((i * 104_729) % 197 - 98) / 100 }
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    sgemm(101, 111, 111, Int32(m), Int32(n), Int32(k), 1, pa.baseAddress, Int32(k),
                          pb.baseAddress, Int32(n), 0, pc.baseAddress, Int32(n))
                }
            }
        }
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var exact = 0.0
                var magnitude = 0.0
                for p in 0..<k {
                    let term = Double(a[i * k + p]) * Double(b[p * n + j])
                    exact += term
                    magnitude += abs(term)
                }
                worst = max(worst, abs(Double(c[i * n + j]) - exact) / max(magnitude, 1e-30))
            }
        }
        return worst
    }
}

/// Why OpenBLAS could not be used.
public enum BLASError: Error, CustomStringConvertible, Sendable {
    case libraryNotFound(String)
    case missingSymbol(String, String)
    case wrongResults(core: String, relativeError: Double)

    public var description: String {
        switch self {
        case .libraryNotFound(let why):
            return "OpenBLAS not found (install libopenblas0 or set VECDB_OPENBLAS to its path): \(why)"
        case .missingSymbol(let symbol, let library):
            return "\(library) has no \(symbol); vecdb needs OpenBLAS's CBLAS interface"
        case .wrongResults(let core, let error):
            return "OpenBLAS kernel \(core) failed vecdb's start-up check (relative error \(error)); "
                + "set OPENBLAS_CORETYPE to another core, e.g. Haswell"
        }
    }
}
