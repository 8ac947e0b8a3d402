import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The bytes of a GGUF file: memory-mapped from disk (weights are paged in only when read), or an owned copy
/// of an in-memory buffer (used by tests that parse thousands of corrupted headers without touching disk).
final class GGUFStorage: @unchecked Sendable {
    // Read-only after init, so sharing across threads is safe.
    let base: UnsafeRawPointer?
    let count: Int
    private let mapped: Bool

    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw GGUFError(file: path, field: "file", reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw GGUFError(file: path, field: "file", reason: "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError(file: path, field: "file", reason: "not a regular file")
        }
        count = Int(st.st_size)
        mapped = count > 0
        if count == 0 {
            base = nil
            return
        }
        let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw GGUFError(file: path, field: "file", reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
    }

    init(bytes: [UInt8]) {
        count = bytes.count
        mapped = false
        if bytes.isEmpty {
            base = nil
            return
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
        bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        base = UnsafeRawPointer(p)
    }

    deinit {
        guard let base else { return }
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        } else {
            base.deallocate()
        }
    }
}
