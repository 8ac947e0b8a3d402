#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of a model file, read-only: memory-mapped from disk (weights are paged in only when read), or an owned
/// copy of an in-memory buffer (tests and fuzzers parse thousands of corrupt headers without touching the disk).
/// Both model formats (safetensors, GGUF) read through this one type.
public final class MappedFile: @unchecked Sendable {
    // @unchecked: the bytes never change after init and are released only in deinit, so sharing them is safe.

    /// The first byte; nil when the file is empty (mmap refuses a zero length).
    public let base: UnsafeRawPointer?
    public let count: Int
    private let mapped: Bool

    /// Why a file could not be mapped; `errno` as the OS reported it, so each format can word its own message.
    public enum Failure: Error, Sendable, Equatable {
        case open(errno: Int32)
        case stat(errno: Int32)
        case notRegularFile
        case map(errno: Int32)

        /// The OS's wording of the error ("No such file or directory"), or "not a regular file".
        public var reason: String {
            switch self {
            case .open(let e), .stat(let e), .map(let e): return String(cString: strerror(e))
            case .notRegularFile: return "not a regular file"
            }
        }
    }

    /// Maps the regular file at `path`.
    public init(path: String) throws(Failure) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .open(errno: errno) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .stat(errno: errno) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .notRegularFile }
        count = Int(status.st_size)
        mapped = count > 0
        guard count > 0 else {
            base = nil
            return
        }
        guard let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else { throw .map(errno: errno) }
        base = UnsafeRawPointer(p)
    }

    /// An owned copy of `bytes`, 64-byte aligned like a page of a mapping.
    public init(copying bytes: [UInt8]) {
        count = bytes.count
        mapped = false
        guard !bytes.isEmpty else {
            base = nil
            return
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
        bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        base = UnsafeRawPointer(p)
    }

    /// The whole file as a buffer (empty for an empty file).
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    deinit {
        guard let base else { return }
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        } else {
            base.deallocate()
        }
    }
}
