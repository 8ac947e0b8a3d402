import ArgumentParser
import Embedder
import Foundation
import Evaluation
import Training
import VecDB

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a contrastive adapter on a frozen model's embeddings and store it as a model of its own.",
        discussion: """
            The seed article's remedy, inside the database: the model stays frozen and a small projection of its \
            pooled vectors is learned with symmetric InfoNCE over in-batch negatives (relevant documents that meet \
            in a batch are not treated as negatives), with Adam, a held-out validation split of the queries and \
            early stopping on validation MRR@10. Inputs are centred on the training mean first.

            Training data: --dataset DIR (a BEIR folder; its corpus is ingested into the base collection, and the \
            queries of --split are the questions) or --pairs FILE.jsonl with {"query": ..., "positive": ...} lines. \
            Frozen vectors are computed once and kept in the database, so training again embeds nothing.

            The adapter is stored in the database under --name (default MODEL+adapter) and is a model like any \
            other for ingest, query, embed, compare and eval (--model NAME / --models NAME). Every document that \
            has a vector in the base collection gets its adapted vector at once. Training again under the same \
            name replaces the adapter and its vectors. Same data and --seed give the same adapter.

            Examples:
              vecdb train --model smollm2 --dataset ./scifact --split train --db ./scifact.vecdb
              vecdb eval --dataset ./scifact --db ./scifact.vecdb --models smollm2,smollm2+adapter,minilm
              vecdb train --model smollm2 --pooling mean --pairs qa.jsonl --name smollm2+qa --hard-negatives 2
              vecdb query "What is GPU?" --model smollm2+qa
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: ArgumentHelp("A BEIR folder (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv) to train on.", valueName: "dir"))
    var dataset: String?

    @Option(help: "The dataset split whose judgements are the training pairs.")
    var split = "train"

    @Option(help: ArgumentHelp("JSON Lines of {\"query\": ..., \"positive\": ...} to train on.", valueName: "file"))
    var pairs: String?

    @Option(help: ArgumentHelp("The adapter's name (default: MODEL+adapter).", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("Output dimensions (default: the model's).", valueName: "n"))
    var dim: Int?

    @Option(help: ArgumentHelp("Hidden layer width; 0 (default) trains a single linear map.", valueName: "n"))
    var hidden = 0

    @Option(help: "Most epochs; training stops earlier when validation MRR@10 stops improving.")
    var epochs = ContrastiveTrainingOptions().epochs

    @Option(help: "Pairs per batch (each one's document is a negative for the others).")
    var batch = ContrastiveTrainingOptions().batchSize

    @Option(help: "InfoNCE temperature τ.")
    var temperature = ContrastiveTrainingOptions().temperature

    @Option(help: "Adam learning rate.")
    var lr = ContrastiveTrainingOptions().learningRate

    @Option(help: "Seed of the validation split, initial weights and batch order.")
    var seed = ContrastiveTrainingOptions().seed

    @Option(help: "Share of the queries held out for validation and early stopping.")
    var validation = ContrastiveTrainingOptions().validationFraction

    @Option(help: "Epochs without a better validation MRR@10 before stopping.")
    var patience = ContrastiveTrainingOptions().patience

    @Option(name: .customLong("hard-negatives"), help: ArgumentHelp(
        "Add each query's N best-scoring non-relevant documents under the frozen model to its batch.", valueName: "n"))
    var hardNegatives = 0

    @Flag(help: "Print the stored adapter's record (config, data hash, per-epoch history) as JSON.")
    var json = false

    func validate() throws {
        guard (dataset == nil) != (pairs == nil) else { throw ValidationError("give --dataset DIR or --pairs FILE (one of them)") }
        guard dim.map({ $0 > 0 }) ?? true, hidden >= 0 else { throw ValidationError("--dim must be positive and --hidden not negative") }
        guard epochs > 0, batch >= 2, temperature > 0, lr > 0, patience > 0, hardNegatives >= 0 else {
            throw ValidationError("--epochs, --temperature, --lr and --patience must be positive, --batch at least 2")
        }
        guard (0..<1).contains(validation) else { throw ValidationError("--validation must be in [0, 1)") }
    }

    func run() throws {
        let data = try dataset.map { try AdapterTrainingData(dataset: BEIRDataset(folder: URL(fileURLWithPath: $0), split: split)) }
            ?? AdapterTrainingData(pairsFile: URL(fileURLWithPath: pairs!))
        printError("\(data.source): \(data.queries.count) queries, \(data.pairCount) pairs, \(data.documents.count) documents")
        let base = try modelOptions.singleSpaceEmbedder(in: nil)
        let db = try database.open(create: true)
        var options = ContrastiveTrainingOptions()
        options.outputDimensions = dim
        options.hiddenDimensions = hidden
        options.epochs = epochs
        options.batchSize = batch
        options.temperature = temperature
        options.learningRate = lr
        options.seed = seed
        options.validationFraction = validation
        options.patience = patience
        options.hardNegatives = hardNegatives

        let meter = ProgressMeter(enabled: standardErrorIsTerminal)
        var phase = ""
        let record = try db.trainAdapter(name: name ?? "\(base.reference.collectionName)+adapter", base: base, data: data,
                                         options: options) { event in
            switch event {
            case let .embedding(what, done, total):
                if phase != what {
                    meter.finish()
                    printError("frozen vectors of the \(what) (\(base.spaces[0].collection))")
                    phase = what
                }
                meter.update(done: done, total: total, unit: what)
            case let .epoch(report):
                meter.finish()
                printError(report.epoch == 0
                    ? String(format: "epoch  0: validation MRR@10 %.4f (before training)", report.validationMRR)
                    : String(format: "epoch %2d: loss %.4f, validation MRR@10 %.4f, %.1f s", report.epoch, report.loss,
                             report.validationMRR, report.seconds))
            case let .filling(done, total):
                if phase != "filling" {
                    printError("adapted vectors for \(total) stored documents")
                    phase = "filling"
                }
                meter.update(done: done, total: total, unit: "docs")
            }
        }
        meter.finish()
        printError(String(format: "%@: best epoch %d (validation MRR@10 %.4f); embedding %.1f s, training %.1f s",
                          record.name, record.bestEpoch, record.history[record.bestEpoch].validationMRR,
                          record.embeddingSeconds, record.trainingSeconds))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            FileHandle.standardOutput.write(try encoder.encode(record) + Data("\n".utf8))
        } else {
            print("trained \(record.name): \(record.shape.input) → \(record.shape.hidden > 0 ? "\(record.shape.hidden) → " : "")"
                + "\(record.shape.output) on \(record.base.collection); use --model \(record.name)")
        }
    }
}
