import Foundation

/// Memory use of this process, from Linux's /proc.
public enum ProcessMemory {
    /// Peak resident set size (`VmHWM`) since the process started or since `resetPeak`, in MiB; nil where /proc
    /// is unavailable.
    public static func peakResidentMiB() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            // "VmHWM:	  123456 kB"
            let kilobytes = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Double($0) }
            return kilobytes.map { $0 / 1024 }
        }
        return nil
    }

    /// Resets the peak to the current resident size (writing 5 to /proc/self/clear_refs, Linux ≥ 4.0), so that the
    /// next `peakResidentMiB` measures one phase alone. Returns false when the kernel refused.
    @discardableResult
    public static func resetPeak() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("5".utf8))) != nil
    }
}
