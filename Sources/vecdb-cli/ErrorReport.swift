import ArgumentParser
import Embedder
import Foundation
import Models
import VecDB

/// A failure the CLI itself reports: a check that found violations, flags that contradict each other at run time.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    let exitCode: ExitStatus

    init(_ description: String, exitCode: ExitStatus = .failure) {
        self.description = description
        self.exitCode = exitCode
    }
}

/// The exit statuses of `vecdb`, after BSD's sysexits.h so that scripts can tell kinds of failure apart.
enum ExitStatus: Int32 {
    /// `check` found a violation, or another failure without a more precise status.
    case failure = 1
    /// The command line is wrong (ArgumentParser's own errors use this too).
    case usage = 64
    /// Input data is malformed: a file, a filter, a vector, a stored record that does not decode.
    case dataError = 65
    /// What was named does not exist: a database, collection, document, model, file.
    case notFound = 66
    /// The disk refused a write, or the database reached its map size.
    case ioError = 74
    /// Another writer changed what the command depended on; running it again may succeed.
    case temporaryFailure = 75
    /// The operating system refused access.
    case permissionDenied = 77
}

/// The one place that turns any error into what `vecdb` prints and how it exits: the library's words, plus the
/// CLI's own advice (which flag, which command to run), which the library never gives.
enum ErrorReport {
    /// The error line (without the "Error: " prefix).
    static func message(for error: Error) -> String {
        switch error {
        case let error as VecDBError: return message(for: error)
        case let error as ModelError: return message(for: error)
        default: return String(describing: error)
        }
    }

    static func exitStatus(for error: Error) -> ExitStatus {
        switch error {
        case let failure as CommandFailure: return failure.exitCode
        case let error as VecDBError: return exitStatus(for: error)
        case let error as ModelError:
            switch error {
            case .notInstalled, .unknown, .invalidPath: return .notFound
            case .unsupportedSetting, .invalidSpec, .fixedByTraining, .lexicalSpace: return .usage
            case .baseModelChanged: return .dataError
            case .downloadFailed, .hashMismatch: return .failure
            }
        case is EmbedderError, is GGUFError: return .dataError
        default: return .failure
        }
    }

    private static func message(for error: VecDBError) -> String {
        switch error {
        case .noDatabase: return "\(error); ingest a file first"
        case .notADatabase, .unsupportedFormat: return "--db \(error)"
        case .needsUpgrade(let path, let table):
            return "--db \(path) predates the '\(table)' table; open it once for writing (e.g. `vecdb check --repair`) to add it"
        case .corrupted: return "\(error); run `vecdb check`"
        case .incompatibleSpace: return "\(error); use --collection to name another one"
        case .notFound(.collection(_, let available)) where available.isEmpty: return "\(error); ingest a file first"
        case .afterCommits(let inner, let lines): return "\(message(for: inner)) (\(lines) lines before it are committed)"
        default: return error.description
        }
    }

    private static func message(for error: ModelError) -> String {
        switch error {
        case .notInstalled(let name, _): return "\(error); run `vecdb models pull \(name)`"
        case .unsupportedSetting(let model, let setting, let detail): return "\(model): --\(setting.rawValue) \(detail)"
        case .fixedByTraining: return "\(error) (drop --pooling, --prompt, --max-tokens and --collection)"
        default: return error.description
        }
    }

    private static func exitStatus(for error: VecDBError) -> ExitStatus {
        switch error {
        case .noDatabase, .notFound: return .notFound
        case .notADatabase, .unsupportedFormat, .corrupted, .invalidInput, .invalidFilter, .incompatibleSpace: return .dataError
        case .invalidArgument, .alreadyExists: return .usage
        case .permissionDenied, .needsUpgrade: return .permissionDenied
        case .full, .writeFailed: return .ioError
        case .conflict: return .temporaryFailure
        case .afterCommits(let inner, _): return exitStatus(for: inner)
        }
    }
}
