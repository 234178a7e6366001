#!/usr/bin/env python3
"""Table and verdicts for tools/nlu-bench.sh.

    report.py --manifest FILE [--skipped FILE] [--json OUT]

--manifest: one "policy file<TAB>nlu engine<TAB>OURS.json<TAB>BASELINE.json" line per policy, where
OURS is `ledgerbot nlu test --format json --threshold 0` and BASELINE is baseline.py's output for it.
--skipped: "policy file<TAB>reason" lines (policies the run left out).
"""
import argparse
import json
import sys

ACCURACY_POINTS = 2.0  # ours may trail scikit-learn by at most this many points
P99_MS = 1.0           # our classification p99 must be below this


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", dest="json_out")
    parser.add_argument("--skipped")
    parser.add_argument("--manifest", required=True)
    args = parser.parse_args()
    entries = [line.rstrip("\n").split("\t") for line in open(args.manifest, encoding="utf-8") if line.strip()]

    rows = []
    settings = None
    for policy_file, engine, ours_file, base_file in entries:
        ours = json.load(open(ours_file, encoding="utf-8"))
        base = json.load(open(base_file, encoding="utf-8"))
        settings = base["settings"]
        ol, bl = ours["latency_ms"], base["latency_ms"]
        rows.append({
            "policy": ours["policy"],
            "file": policy_file,
            "nlu_engine": engine,
            "examples": ours["examples"],
            "intents": len(ours["intents"]),
            "folds": ours["folds"],
            "ledgerbot_accuracy": ours["accuracy"],
            "sklearn_accuracy": base["accuracy"],
            "difference_points": (ours["accuracy"] - base["accuracy"]) * 100,
            "ledgerbot_latency_ms": {"p50": ol["p50"], "p99": ol["p99"], "inputs": ol["inputs"]},
            "sklearn_latency_ms": bl,
            "latency_ratio_p50": bl["p50"] / ol["p50"] if ol["p50"] > 0 else None,
            "latency_ratio_p99": bl["p99"] / ol["p99"] if ol["p99"] > 0 else None,
            "sklearn_sensitivity": base.get("sensitivity", {}),
        })
    skipped = []
    if args.skipped:
        for line in open(args.skipped, encoding="utf-8"):
            if line.strip():
                policy, _, reason = line.rstrip("\n").partition("\t")
                skipped.append({"file": policy, "reason": reason})

    width = max([len("policy")] + [len(r["file"]) for r in rows])
    head = (f"{'policy':<{width}} {'examples':>8} {'intents':>7} {'folds':>5} {'ours acc':>9} {'sk acc':>7} {'diff pt':>8} "
            f"{'ours p50':>9} {'ours p99':>9} {'sk p50':>8} {'sk p99':>8} {'sk/ours':>8}")
    print(head)
    print("-" * len(head))
    for r in rows:
        ratio = r["latency_ratio_p50"]
        print(f"{r['file']:<{width}} {r['examples']:>8} {r['intents']:>7} {r['folds']:>5} "
              f"{r['ledgerbot_accuracy'] * 100:>8.1f}% {r['sklearn_accuracy'] * 100:>6.1f}% {r['difference_points']:>+8.1f} "
              f"{r['ledgerbot_latency_ms']['p50']:>9.3f} {r['ledgerbot_latency_ms']['p99']:>9.3f} "
              f"{r['sklearn_latency_ms']['p50']:>8.3f} {r['sklearn_latency_ms']['p99']:>8.3f} "
              + (f"{ratio:>7.1f}x" if ratio is not None else f"{'n/a':>8}"))
    for r in rows:
        if r["nlu_engine"] != "builtin":
            print(f"note: {r['file']} has nlu.engine {r['nlu_engine']}: its training data was benchmarked, "
                  "but the built-in classifier does not serve it")
    for s in skipped:
        print(f"skipped {s['file']}: {s['reason']}")
    print("accuracy: k-fold CV best guess (threshold 0), same folds both sides; diff pt = ours - scikit-learn in points;")
    print("latency ms: one text per call on the model trained on all examples; sk/ours = scikit-learn p50 / our p50")
    if settings:
        print(f"scikit-learn {settings['scikit_learn']} (Python {settings['python']}): {settings['features']}; "
              f"preprocess: {settings['preprocess']}; {settings['classifier']}")
        sweeps = [f"{r['file']} " + ", ".join(f"{k} {a * 100:.1f}%" for k, a in r["sklearn_sensitivity"].items())
                  for r in rows if r["sklearn_sensitivity"]]
        if sweeps:
            print("scikit-learn accuracy with other settings (information only, not compared): " + "; ".join(sweeps))

    verdicts = []
    if rows:
        behind = [r["file"] for r in rows if r["difference_points"] < -ACCURACY_POINTS - 1e-9]
        worst = min(rows, key=lambda r: r["difference_points"])
        verdicts.append({
            "target": f"accuracy within {ACCURACY_POINTS:g} points of scikit-learn or better",
            "met": not behind,
            "detail": f"{len(rows) - len(behind)}/{len(rows)} policies; worst {worst['file']} {worst['difference_points']:+.1f} pt"
                      + (f"; behind: {', '.join(behind)}" if behind else ""),
        })
        slow = [r["file"] for r in rows if not r["ledgerbot_latency_ms"]["p99"] < P99_MS]
        worst = max(rows, key=lambda r: r["ledgerbot_latency_ms"]["p99"])
        verdicts.append({
            "target": f"our classification p99 < {P99_MS:g} ms",
            "met": not slow,
            "detail": f"{len(rows) - len(slow)}/{len(rows)} policies; worst {worst['file']} {worst['ledgerbot_latency_ms']['p99']:.3f} ms"
                      + (f"; over: {', '.join(slow)}" if slow else ""),
        })
    for v in verdicts:
        print(f"{v['target']}: {'yes' if v['met'] else 'no'} ({v['detail']})")
    if not rows:
        print("no policy was benchmarked")

    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as out:
            json.dump({"policies": rows, "skipped": skipped, "verdicts": verdicts, "sklearn_settings": settings,
                       "targets": {"accuracy_points": ACCURACY_POINTS, "p99_ms": P99_MS}}, out, indent=2)
            out.write("\n")
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
