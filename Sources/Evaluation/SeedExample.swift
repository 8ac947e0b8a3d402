/// The seed article's experiment: two questions, their two answers, and the cosine similarities it published.
///
/// Source: the seed article "A surprising experiment showing that the devil is in the details" (MTEB leaderboard
/// of 17 May 2024), as summarised in shared/seed/SUMMARY.md: last-token outputs of Mistral-7B-Instruct-v0.1 after
/// its chat template, against e5-mistral-7b-instruct, cosine similarity. These numbers are the article's, typed
/// in here — vecdb does not run either 7B model.
public enum SeedExample {
    public static let questions = ["Where is the headquarter of OpenAI?", "What is GPU?"]
    public static let answers = [
        "OpenAI is based at San Francisco.",
        "A graphics processing unit (GPU) is an electronic circuit that can perform mathematical calculations quickly",
    ]

    /// A model's published similarity matrix (questions × answers).
    public struct PublishedFigures: Sendable {
        public var model: String
        public var note: String
        /// `similarities[i][j]`: question i against answer j, as printed in the article (two decimals).
        public var similarities: [[Double]]
    }

    public static let published: [PublishedFigures] = [
        PublishedFigures(
            model: "Mistral-7B-Instruct-v0.1", note: "base decoder LLM, last token after the chat template",
            // Q1–A1 0.96, Q1–A2 0.90 / Q2–A1 0.93, Q2–A2 0.94.
            similarities: [[0.96, 0.90], [0.93, 0.94]]),
        PublishedFigures(
            model: "e5-mistral-7b-instruct", note: "the same LLM fine-tuned with a contrastive loss",
            // Q1–A1 0.88, Q1–A2 0.56 / Q2–A1 0.67, Q2–A2 0.84.
            similarities: [[0.88, 0.56], [0.67, 0.84]]),
    ]
}
