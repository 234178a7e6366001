#!/usr/bin/env python3
"""scikit-learn baseline for `ledgerbot nlu test`.

Reads the JSON of `ledgerbot nlu test --format json --threshold 0` (a file argument, or stdin),
and on the very same folds (each example's `fold` field) trains and scores

    FeatureUnion(
        word: TfidfVectorizer(analyzer="word",    ngram_range=(1, 2), sublinear_tf=True),
        char: TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
    )  ->  LogisticRegression(C=10, solver="lbfgs", max_iter=2000, random_state=0)

Both vectorizers strip accents ("unicode") and lowercase; by default they also get the text
folded the way Ledgerbot's TextNormalizer does it (anything that is not a letter or digit
becomes a space) so both sides see the same words: see --preprocess. Smoothed idf and L2
normalisation are scikit-learn's defaults, as in Ledgerbot.

Latency: the model trained on all examples classifies one text per `predict_proba` call, as
many calls as Ledgerbot made (`latency_ms.inputs`, i.e. every example 5 times, in order),
after 20 warm-up calls, with scikit-learn's per-call input validation switched off
(assume_finite, skip_parameter_validation) and Python's garbage collector paused during the
timed loop (as timeit does); p50 and p99 use Ledgerbot's sample index rule.

Prints JSON on stdout. Deterministic apart from latency: lbfgs has no randomness, and the
random_state is fixed anyway.
"""
import argparse
import gc
import json
import re
import sys
import time
import unicodedata

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

_NOT_WORD = re.compile(r"[\W_]+")  # \w minus underscore: letters and digits, as in TextNormalizer


def fold(text):
    """Ledgerbot's TextNormalizer.fold: lowercase, accents removed, non-alphanumerics -> one space."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _NOT_WORD.sub(" ", stripped).strip()


def build(c, max_iter, preprocess):
    common = dict(sublinear_tf=True, strip_accents="unicode", lowercase=True, smooth_idf=True, norm="l2")
    if preprocess == "fold":
        # A preprocessor replaces scikit-learn's own lowercase + strip_accents step; fold does both.
        common["preprocessor"] = fold
        word_pattern = r"(?u)\b\w+\b"  # keep one-letter words, as Ledgerbot does
    else:
        word_pattern = r"(?u)\b\w\w+\b"  # scikit-learn's default
    features = FeatureUnion([
        ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=word_pattern, **common)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), **common)),
    ])
    model = LogisticRegression(C=c, solver="lbfgs", max_iter=max_iter, random_state=0)
    return Pipeline([("features", features), ("clf", model)])


def cross_validate(texts, labels, folds, c, max_iter, preprocess):
    correct = total = 0
    for f in sorted(set(folds)):
        train = [i for i, k in enumerate(folds) if k != f]
        test = [i for i, k in enumerate(folds) if k == f]
        if not train or not test:
            continue
        if len({labels[i] for i in train}) < 2:  # LogisticRegression needs two classes
            predicted = [labels[train[0]]] * len(test)
        else:
            pipe = build(c, max_iter, preprocess).fit([texts[i] for i in train], [labels[i] for i in train])
            predicted = pipe.predict([texts[i] for i in test])
        correct += sum(p == labels[i] for p, i in zip(predicted, test))
        total += len(test)
    return correct / total if total else 0.0


def latency(texts, labels, calls, c, max_iter, preprocess, warmup=20):
    pipe = build(c, max_iter, preprocess).fit(texts, labels)
    for i in range(min(warmup, len(texts))):
        pipe.predict_proba([texts[i]])
    samples = []
    clock = time.perf_counter_ns
    gc.collect()
    gc.disable()  # as timeit does: a collector pause is not classification time (Ledgerbot has no GC)
    for i in range(calls):
        text = [texts[i % len(texts)]]
        start = clock()
        proba = pipe.predict_proba(text)
        _ = pipe.classes_[int(np.argmax(proba[0]))]  # the best guess, as Ledgerbot's classify returns
        samples.append((clock() - start) / 1e6)
    gc.enable()
    samples.sort()
    n = len(samples)
    if n == 0:
        return {"p50": 0.0, "p99": 0.0, "inputs": 0}
    return {"p50": samples[n // 2], "p99": samples[min(n - 1, n * 99 // 100)], "inputs": n}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", help="JSON from `ledgerbot nlu test --format json` (default: stdin)")
    parser.add_argument("--C", dest="c", type=float, default=10.0, help="LogisticRegression C (default 10)")
    parser.add_argument("--max-iter", type=int, default=2000, help="LogisticRegression max_iter (default 2000)")
    parser.add_argument("--preprocess", choices=["fold", "sklearn"], default="fold",
                        help="fold: Ledgerbot's text folding before both vectorizers (default); "
                             "sklearn: scikit-learn's own strip_accents + lowercase and default word token pattern")
    parser.add_argument("--sweep", default="1,100",
                        help="other C values whose CV accuracy is reported for information (default 1,100; '' for none); "
                             "the other --preprocess choice is always reported too")
    args = parser.parse_args()
    # Per-call input checks are most of a single-text predict_proba; a tuned service would skip them.
    sklearn.set_config(assume_finite=True, skip_parameter_validation=True)

    ours = json.load(open(args.file, encoding="utf-8") if args.file else sys.stdin)
    data = ours["data"]
    texts = [row["text"] for row in data]
    labels = [row["intent"] for row in data]
    folds = [int(row["fold"]) for row in data]
    calls = int(ours.get("latency_ms", {}).get("inputs") or 5 * len(texts))

    accuracy = cross_validate(texts, labels, folds, args.c, args.max_iter, args.preprocess)
    # Information only (never used for the comparison): how much the baseline depends on its settings.
    sensitivity = {}
    for value in [v for v in args.sweep.split(",") if v.strip()]:
        c = float(value)
        if c != args.c:
            sensitivity[f"C={c:g}"] = cross_validate(texts, labels, folds, c, args.max_iter, args.preprocess)
    other = "sklearn" if args.preprocess == "fold" else "fold"
    sensitivity[f"preprocess={other}"] = cross_validate(texts, labels, folds, args.c, args.max_iter, other)
    result = {
        "policy": ours.get("policy"),
        "examples": len(texts),
        "intents": len(set(labels)),
        "folds": len(set(folds)),
        "accuracy": accuracy,
        "latency_ms": latency(texts, labels, calls, args.c, args.max_iter, args.preprocess),
        "sensitivity": sensitivity,
        "settings": {
            "scikit_learn": sklearn.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
            "preprocess": ("Ledgerbot fold (lowercase, NFD accent strip, non-alphanumerics -> space)"
                           if args.preprocess == "fold" else "strip_accents='unicode', lowercase=True"),
            "features": "FeatureUnion(TfidfVectorizer(word, ngram_range=(1,2)), TfidfVectorizer(char_wb, ngram_range=(3,5))), "
                        "sublinear_tf=True, smooth_idf=True, norm='l2'"
                        + (", word token_pattern=r'(?u)\\b\\w+\\b'" if args.preprocess == "fold" else ""),
            "classifier": f"LogisticRegression(C={args.c:g}, solver='lbfgs', max_iter={args.max_iter}, random_state=0)",
            "latency": ("Pipeline.predict_proba on one text per call, model trained on all examples, 20 warm-up calls, gc paused, "
                        "sklearn.set_config(assume_finite=True, skip_parameter_validation=True)"),
        },
    }
    json.dump(result, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
