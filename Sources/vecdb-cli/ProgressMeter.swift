import Foundation

/// A one-line progress display on stderr (rate and ETA), redrawn in place; silent when disabled.
final class ProgressMeter {
    private let enabled: Bool
    private let started = Date()
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(done: Int, total: Int?, unit: String) {
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var line = "\(done)"
        if let total, total > 0 {
            line += "/\(total) \(unit) (\(Int(100 * Double(done) / Double(total)))%)"
            if rate > 0 { line += ", ETA \(ProgressMeter.duration(Double(total - done) / rate))" }
        } else {
            line += " \(unit)"
        }
        line += String(format: ", %.1f %@/s", rate, unit)
        printError("\r\u{1B}[K" + line, terminator: "")
        drawn = true
    }

    func finish() {
        if drawn { printError("\r\u{1B}[K", terminator: "") }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
