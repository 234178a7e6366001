import ArgumentParser
import Foundation
import NLU
import Policy

struct NLUCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nlu",
        abstract: "Evaluate the built-in intent classifier of a policy.",
        subcommands: [Test.self]
    )

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "k-fold cross-validation of the policy's training examples.",
            discussion: """
                Stratified and deterministic: within each intent, the i-th distinct text (as folded) \
                is in fold i mod k, and examples that fold to the same text share a fold, so \
                two runs give the same report. Prints precision, recall and F1 per intent, the most \
                frequent confusions, the overall accuracy, and the classification latency of the \
                model trained on all examples. --format json adds each example's fold (the \
                scikit-learn baseline in tools/nlu-bench uses the same folds).
                """
        )

        @Option(help: ArgumentHelp("The policy file.", valueName: "FILE")) var policy: String
        @Option(help: "Number of folds (2…20).") var folds = 5
        @Option(help: ArgumentHelp("Count predictions below this confidence as fallbacks (default: the policy's nlu.threshold; 0 scores the best guess).", valueName: "0…1"))
        var threshold: Double?
        @Option(help: "text or json.") var format: OutputFormat = .text

        func validate() throws {
            guard (2...20).contains(folds) else { throw ValidationError("--folds must be 2…20") }
            if let threshold, !(0...1).contains(threshold) { throw ValidationError("--threshold must be 0…1") }
        }

        func run() async throws {
            let loaded = try loadPolicy(policy)
            guard loaded.nlu.classifier != nil else {
                printError("error: \(policy) has no built-in NLU training data to test (nlu.engine: \(loaded.nlu.engine))")
                throw ExitCode(2)
            }
            let examples = loaded.nlu.examples
            let started = ContinuousClock.now
            let threshold = self.threshold ?? loaded.nlu.threshold
            let report = CrossValidation.run(examples, folds: folds, threshold: threshold)
            let seconds = (ContinuousClock.now - started).inSeconds
            let latency = measureLatency(loaded)
            switch format {
            case .text:
                print("\(loaded.id): \(report.examples) examples, \(report.intents.count) intents, \(report.folds)-fold cross-validation (threshold \(threshold))")
                print("")
                print("intent".padding(toLength: 24, withPad: " ", startingAt: 0) + "precision  recall     f1  support")
                for intent in report.intents {
                    print(intent.intent.padding(toLength: 24, withPad: " ", startingAt: 0)
                          + Self.percent(intent.precision).leftPad(9) + Self.percent(intent.recall).leftPad(8)
                          + Self.percent(intent.f1).leftPad(7) + String(intent.support).leftPad(9))
                }
                print("")
                if report.confusions.isEmpty {
                    print("confusions: none")
                } else {
                    print("most frequent confusions (expected → predicted):")
                    for confusion in report.confusions.prefix(10) { print("  \(confusion.expected) → \(confusion.predicted): \(confusion.count)") }
                }
                print("")
                print("accuracy: \(Self.percent(report.accuracy))")
                print(String(format: "classification latency (full model, %d inputs): p50 %.3f ms, p99 %.3f ms", latency.count, latency.p50, latency.p99))
                printError(String(format: "cross-validation took %.2f s", seconds))
            case .json:
                let folds = CrossValidation.folds(of: examples, k: report.folds)
                let rows = zip(examples, folds).map { example, fold -> [String: Any] in ["intent": example.intent, "text": example.text, "fold": fold] }
                print(jsonText([
                    "policy": loaded.id, "folds": report.folds, "threshold": threshold,
                    "accuracy": report.accuracy, "examples": report.examples,
                    "intents": report.intents.map { ["intent": $0.intent, "precision": $0.precision, "recall": $0.recall, "f1": $0.f1, "support": $0.support] as [String: Any] },
                    "confusions": report.confusions.map { ["expected": $0.expected, "predicted": $0.predicted, "count": $0.count] as [String: Any] },
                    "latency_ms": ["p50": latency.p50, "p99": latency.p99, "inputs": latency.count],
                    "data": rows,
                ]))
            }
        }

        static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

        /// Classifies every example 5 times with the model trained on all of them.
        private func measureLatency(_ policy: Policy) -> (p50: Double, p99: Double, count: Int) {
            guard let classifier = policy.nlu.classifier else { return (0, 0, 0) }
            var samples: [Double] = []
            for _ in 0..<5 {
                for example in policy.nlu.examples {
                    let start = ContinuousClock.now
                    _ = classifier.classify(example.text, threshold: policy.nlu.threshold)
                    samples.append((ContinuousClock.now - start).inSeconds * 1000)
                }
            }
            samples.sort()
            guard !samples.isEmpty else { return (0, 0, 0) }
            return (samples[samples.count / 2], samples[min(samples.count - 1, samples.count * 99 / 100)], samples.count)
        }
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? " " + self : String(repeating: " ", count: width - count) + self }
}
