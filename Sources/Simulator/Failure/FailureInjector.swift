import NIOConcurrencyHelpers

/// The pending failure rules, consumed by matching REST calls in arrival order.
final class FailureInjector: Sendable {
    private struct Rule {
        var remaining: Int
        var pathFragment: String
        var method: String?
        var failure: InjectedFailure
    }

    private let rules = NIOLockedValueBox<[Rule]>([])

    /// Adds a rule: the next `count` calls whose path contains `pathFragment` (and whose method is
    /// `method`, when given) fail with `failure`. Rules are consulted oldest first.
    func add(count: Int, pathFragment: String, method: String?, failure: InjectedFailure) {
        guard count > 0 else { return }
        rules.withLockedValue {
            $0.append(Rule(remaining: count, pathFragment: pathFragment, method: method?.uppercased(), failure: failure))
        }
    }

    /// The failure for this call, if a rule matches; uses up one of that rule's calls.
    func take(method: String, path: String) -> InjectedFailure? {
        rules.withLockedValue { rules in
            guard
                let index = rules.firstIndex(where: {
                    ($0.method == nil || $0.method == method.uppercased())
                        && ($0.pathFragment.isEmpty || path.contains($0.pathFragment))
                })
            else { return nil }
            let failure = rules[index].failure
            rules[index].remaining -= 1
            if rules[index].remaining == 0 { rules.remove(at: index) }
            return failure
        }
    }

    /// Calls that rules will still fail.
    var pendingCount: Int {
        rules.withLockedValue { $0.reduce(0) { $0 + $1.remaining } }
    }

    func removeAll() {
        rules.withLockedValue { $0.removeAll() }
    }
}
