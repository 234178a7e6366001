/// A labelled training example.
public struct TrainingExample: Sendable, Hashable {
    public var intent: String
    public var text: String
    public init(intent: String, text: String) {
        self.intent = intent
        self.text = text
    }
}

/// An intent with its probability.
public struct IntentScore: Sendable, Hashable {
    public var intent: String
    public var confidence: Double
}

/// The built-in intent classifier: multinomial logistic regression over TF-IDF word and
/// character n-gram features, trained by full-batch gradient descent from zero weights for a
/// fixed number of steps. No randomness anywhere: the same examples give the same model and
/// the same scores on every machine, so it can run inside the pure reactor and on replay.
public struct IntentClassifier: Sendable {
    public let intents: [String]
    private let features: FeatureExtractor
    /// weights[intent][feature]
    private let weights: [[Double]]
    private let bias: [Double]
    /// Rankings of recent texts (`rank` is a pure function of the text).
    private let rankings = TextMemo<[IntentScore]>()

    public struct Configuration: Sendable {
        public var steps = 200
        public var learningRate = 2.0
        /// L2 regularisation strength.
        public var l2 = 1e-4
        public init() {}
    }

    public init(examples unordered: [TrainingExample], configuration: Configuration = .init()) {
        // A canonical order: floating-point sums depend on order, and the model must not.
        let examples = unordered.sorted { ($0.intent, $0.text) < ($1.intent, $1.text) }
        let intents = Array(Set(examples.map(\.intent))).sorted()
        let features = FeatureExtractor(training: examples.map(\.text))
        self.intents = intents
        self.features = features
        let classIndex = Dictionary(uniqueKeysWithValues: intents.enumerated().map { ($1, $0) })
        let vectors = examples.map { features.vector($0.text) }
        let labels = examples.map { classIndex[$0.intent]! }
        let classes = intents.count, dimension = features.vocabulary.count
        var w = [[Double]](repeating: [Double](repeating: 0, count: dimension), count: classes)
        var b = [Double](repeating: 0, count: classes)
        guard classes > 1, !examples.isEmpty else {
            weights = w
            bias = b
            return
        }
        let scale = 1 / Double(examples.count)
        for _ in 0..<configuration.steps {
            var gradW = [[Double]](repeating: [Double](repeating: 0, count: dimension), count: classes)
            var gradB = [Double](repeating: 0, count: classes)
            for (x, y) in zip(vectors, labels) {
                let p = Self.softmax(Self.logits(x, w, b))
                for c in 0..<classes {
                    let error = p[c] - (c == y ? 1 : 0)
                    gradB[c] += error
                    for (id, value) in x { gradW[c][id] += error * value }
                }
            }
            for c in 0..<classes {
                b[c] -= configuration.learningRate * gradB[c] * scale
                for id in 0..<dimension {
                    w[c][id] -= configuration.learningRate * (gradW[c][id] * scale + configuration.l2 * w[c][id])
                }
            }
        }
        weights = w
        bias = b
    }

    /// Every intent with its confidence, best first (ties broken by name).
    ///
    /// The confidence is the model's probability discounted by how much of the text it knows
    /// (``FeatureExtractor/coverage(_:)``, as `p × (0.5 + 0.5 × coverage)`): a softmax always
    /// sums to 1, so without it words the model never saw would still get a confident answer
    /// from the class priors. Text with no known word scores 0.
    public func rank(_ text: String) -> [IntentScore] {
        rankings.value(for: text, compute: computeRanking)
    }

    private func computeRanking(_ text: String) -> [IntentScore] {
        guard !intents.isEmpty else { return [] }
        let vector = features.vector(text)
        let coverage = vector.isEmpty ? 0 : features.coverage(text)
        let discount = coverage == 0 ? 0 : 0.5 + 0.5 * coverage
        let p = Self.softmax(Self.logits(vector, weights, bias))
        return zip(intents, p).map { IntentScore(intent: $0, confidence: $1 * discount) }
            .sorted { $0.confidence != $1.confidence ? $0.confidence > $1.confidence : $0.intent < $1.intent }
    }

    /// The best intent, or nil when its confidence is below `threshold` (a fallback) or 0 (no
    /// word of the text is known: with `threshold: 0` the alphabetically first intent "won").
    public func classify(_ text: String, threshold: Double) -> IntentScore? {
        guard let best = rank(text).first, Self.isUnderstood(best, threshold: threshold) else { return nil }
        return best
    }

    /// Whether `best` (the top of a ranking) counts as understood at `threshold`.
    public static func isUnderstood(_ best: IntentScore, threshold: Double) -> Bool {
        best.confidence > 0 && best.confidence >= threshold
    }

    private static func logits(_ x: [(Int, Double)], _ w: [[Double]], _ b: [Double]) -> [Double] {
        b.indices.map { c in x.reduce(b[c]) { $0 + w[c][$1.0] * $1.1 } }
    }

    private static func softmax(_ z: [Double]) -> [Double] {
        let m = z.max() ?? 0
        let e = z.map { exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}

#if canImport(Glibc)
import Glibc
#endif
