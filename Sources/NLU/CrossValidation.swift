/// Per-intent quality from k-fold cross-validation.
public struct IntentReport: Sendable, Hashable {
    public var intent: String
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var support: Int
}

/// The result of ``CrossValidation/run(_:folds:threshold:configuration:)``.
public struct CrossValidationReport: Sendable {
    public var accuracy: Double
    public var intents: [IntentReport]
    /// (expected, predicted, count) for misclassifications, most frequent first. A prediction
    /// below the threshold counts as `"(fallback)"`.
    public var confusions: [(expected: String, predicted: String, count: Int)]
    public var examples: Int
    public var folds: Int
}

/// Deterministic stratified k-fold cross-validation: within each intent, the i-th distinct text
/// goes to fold i mod k (in the order given), so every fold sees every intent and reruns give
/// equal reports. Examples that fold to the same text ("olá" and "ola") share a fold: one in
/// training and its twin in testing would score a model on what it was trained on.
public enum CrossValidation {
    public static let fallback = "(fallback)"

    /// Each example's fold (0..<k, k at least 2).
    public static func folds(of examples: [TrainingExample], k: Int) -> [Int] {
        var fold = [Int](repeating: 0, count: examples.count)
        var seen: [String: Int] = [:]
        var foldOfText: [String: Int] = [:]
        for (i, example) in examples.enumerated() {
            let text = TextNormalizer.fold(example.text)
            if let known = foldOfText[text] {
                fold[i] = known
                continue
            }
            fold[i] = seen[example.intent, default: 0] % max(k, 2)
            seen[example.intent, default: 0] += 1
            foldOfText[text] = fold[i]
        }
        return fold
    }

    public static func run(_ examples: [TrainingExample], folds k: Int = 5, threshold: Double = 0,
                           configuration: IntentClassifier.Configuration = .init()) -> CrossValidationReport {
        let fold = folds(of: examples, k: k)
        var predictions: [(expected: String, predicted: String)] = []
        for f in 0..<max(k, 2) {
            let train = examples.indices.filter { fold[$0] != f }.map { examples[$0] }
            let test = examples.indices.filter { fold[$0] == f }.map { examples[$0] }
            guard !train.isEmpty, !test.isEmpty else { continue }
            let model = IntentClassifier(examples: train, configuration: configuration)
            for example in test {
                predictions.append((example.intent, model.classify(example.text, threshold: threshold)?.intent ?? fallback))
            }
        }
        let correct = predictions.filter { $0.expected == $0.predicted }.count
        let intents = Array(Set(examples.map(\.intent))).sorted()
        let reports = intents.map { intent -> IntentReport in
            let truePositive = Double(predictions.filter { $0.expected == intent && $0.predicted == intent }.count)
            let predicted = Double(predictions.filter { $0.predicted == intent }.count)
            let actual = Double(predictions.filter { $0.expected == intent }.count)
            let precision = predicted > 0 ? truePositive / predicted : 0
            let recall = actual > 0 ? truePositive / actual : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            return IntentReport(intent: intent, precision: precision, recall: recall, f1: f1, support: Int(actual))
        }
        var confusionCounts: [String: (String, String, Int)] = [:]
        for p in predictions where p.expected != p.predicted {
            let key = p.expected + "\u{0}" + p.predicted
            confusionCounts[key] = (p.expected, p.predicted, (confusionCounts[key]?.2 ?? 0) + 1)
        }
        let confusions = confusionCounts.values.sorted { $0.2 != $1.2 ? $0.2 > $1.2 : ($0.0, $0.1) < ($1.0, $1.1) }
            .map { (expected: $0.0, predicted: $0.1, count: $0.2) }
        return CrossValidationReport(accuracy: predictions.isEmpty ? 0 : Double(correct) / Double(predictions.count),
                                     intents: reports, confusions: confusions, examples: examples.count, folds: max(k, 2))
    }
}
