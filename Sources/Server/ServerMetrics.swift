import Foundation
import Prometheus

/// What `GET /metrics` exposes in Prometheus' text format: requests by route, method and status, their latencies,
/// errors by code, commits, the write queue and the documents stored.
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let commits: Counter
    private let queueDepth: Gauge
    private let documents: Gauge

    /// Latency buckets from 0.5 ms (a vector search) to 30 s (a large ingest).
    private static let buckets: [Duration] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
        .map { Duration.nanoseconds(Int64($0 * 1e9)) }

    public init() {
        commits = registry.makeCounter(descriptor: .init(namespace: "vecdb", metricName: "commits", unitName: "total",
                                                         helpText: "Write batches this server committed"))
        queueDepth = registry.makeGauge(descriptor: .init(namespace: "vecdb", metricName: "write_queue", unitName: "depth",
                                                          helpText: "Write requests admitted and not yet answered"))
        documents = registry.makeGauge(descriptor: .init(namespace: "vecdb", metricName: "documents", unitName: "count",
                                                         helpText: "Documents stored, read at scrape time"))
    }

    /// Counts one answered request.
    func record(route: String, method: String, status: Int, duration: Duration, errorCode: String?) {
        let labels = [("route", route), ("method", method), ("status", String(status))]
        registry.makeCounter(descriptor: .init(namespace: "vecdb", subsystem: "http", metricName: "requests", unitName: "total",
                                               helpText: "Requests answered"), labels: labels).increment()
        registry.makeDurationHistogram(descriptor: .init(namespace: "vecdb", subsystem: "http", metricName: "request_duration",
                                                         unitName: "seconds", helpText: "Time from request to response"),
                                       labels: [("route", route)], buckets: ServerMetrics.buckets).record(duration)
        if let errorCode {
            registry.makeCounter(descriptor: .init(namespace: "vecdb", subsystem: "http", metricName: "errors", unitName: "total",
                                                   helpText: "Error responses by code"), labels: [("code", errorCode)]).increment()
        }
    }

    /// The exposition text, with the gauges read now.
    func text(documents count: Int, writeQueueDepth: Int) -> String {
        documents.set(Double(count))
        queueDepth.set(Double(writeQueueDepth))
        return registry.emitToString()
    }
}
