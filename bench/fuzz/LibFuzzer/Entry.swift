import Foundation
import Fuzzing

// libFuzzer entry points for the targets of `vecdb-fuzz`, chosen by $VECDB_FUZZ_TARGET. Only
// bench/fuzz/libfuzzer.sh builds this for real (with -sanitize=fuzzer,address and -D VECDB_LIBFUZZER); a plain
// `swift build` gets a stub that says so.

#if VECDB_LIBFUZZER
typealias FuzzerCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// libFuzzer's own driver (in the runtime that -sanitize=fuzzer links).
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>,
               _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
               _ callback: FuzzerCallback) -> CInt

/// SwiftPM links an executable's `main` to `<module>_main`, which would hide libFuzzer's `main`: hand over to
/// libFuzzer's driver from here.
@_cdecl("vecdb_libfuzzer_main")
public func libFuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments) { data, size in testOneInput(data, size) }
}

nonisolated(unsafe) var target = FuzzTarget.safetensors
nonisolated(unsafe) var context: FuzzContext?

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    let name = ProcessInfo.processInfo.environment["VECDB_FUZZ_TARGET"] ?? ""
    guard let chosen = FuzzTarget(rawValue: name) else {
        fatalError("set VECDB_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue))")
    }
    target = chosen
    // The repository is the working directory (the script runs from it).
    do { context = try FuzzContext(repository: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) } catch {
        fatalError("\(error)")
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    do {
        _ = try target.run(input, in: context!)
    } catch {
        // A broken invariant is a finding: crash so that libFuzzer saves the input.
        fatalError("\(error)")
    }
    return 0
}
#else
@main
enum LibFuzzerStub {
    static func main() {
        FileHandle.standardError.write(Data("vecdb-libfuzzer: build it with bench/fuzz/libfuzzer.sh\n".utf8))
        exit(2)
    }
}
#endif
