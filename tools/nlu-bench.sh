#!/usr/bin/env bash
# NLU benchmark: Ledgerbot's built-in intent classifier against scikit-learn's TF-IDF +
# LogisticRegression, on the same cross-validation folds of each policy's training examples,
# for accuracy and single-text classification latency. Prints one row per policy and a verdict
# per target. See tools/nlu-bench/README.md.
#
#   tools/nlu-bench.sh [--json FILE] [POLICY...]     (default: every examples/*.yml with a builtin NLU)
#
# Targets: our accuracy within 2 points of scikit-learn or better; our classification p99 < 1 ms.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: tools/nlu-bench.sh [--json FILE] [POLICY...]

Compares `ledgerbot nlu test` (k-fold cross-validation, threshold 0) with a scikit-learn
TF-IDF (word 1-2-grams + char_wb 3-5-grams) + LogisticRegression baseline on the same folds,
and the classification latency (p50/p99 of single-text calls on the model trained on all
examples, the same number of calls on both sides).

  POLICY       policy YAML files (default: every examples/*.yml; policies that fail
               `ledgerbot policy check` or have no built-in NLU are skipped, with the reason)
  --json FILE  also write the results as JSON to FILE
  -h, --help   this help

Builds the release binary (swift build -c release --scratch-path .build-release) and installs
scikit-learn + numpy into .build-nlu-venv/ on first use.
Targets: our accuracy within 2 points of scikit-learn or better; our p99 < 1 ms.
EOF
}

json_out=""
policies=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --json) [ $# -ge 2 ] || { echo "nlu-bench: --json needs a FILE" >&2; exit 2; }; json_out="$2"; shift 2 ;;
    --json=*) json_out="${1#--json=}"; shift ;;
    --) shift; policies+=("$@"); break ;;
    -*) echo "nlu-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) policies+=("$1"); shift ;;
  esac
done

# Paths given by the caller are relative to where they ran us; the rest of the script runs at the root.
absolute() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
[ -n "$json_out" ] && json_out=$(absolute "$json_out")
for i in "${!policies[@]}"; do policies[$i]=$(absolute "${policies[$i]}"); done
cd "$(dirname "$0")/.."
root=$PWD
explicit=1
if [ ${#policies[@]} -eq 0 ]; then
  explicit=0
  shopt -s nullglob
  policies=(examples/*.yml)
  shopt -u nullglob
  [ ${#policies[@]} -gt 0 ] || { echo "nlu-bench: no examples/*.yml policies" >&2; exit 1; }
fi

tools/setup.sh
swift build -c release --scratch-path .build-release --product ledgerbot >&2
bin=.build-release/release/ledgerbot

venv=.build-nlu-venv
py="$venv/bin/python"
if [ ! -x "$py" ]; then
  echo "nlu-bench: creating $venv" >&2
  python3 -m venv "$venv"
fi
if ! "$py" -c 'import sklearn, numpy' 2>/dev/null; then
  echo "nlu-bench: installing scikit-learn and numpy into $venv" >&2
  "$py" -m pip install -q scikit-learn numpy >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: > "$work/skipped"   # file<TAB>reason
: > "$work/manifest"  # file<TAB>nlu engine<TAB>our JSON<TAB>baseline JSON
n=0
for policy in "${policies[@]}"; do
  shown=${policy#"$root"/}
  skip() { printf '%s\t%s\n' "$shown" "$1" >> "$work/skipped"; echo "nlu-bench: $shown: skipped (reason in the report)" >&2; }
  if [ ! -f "$policy" ]; then skip "no such file"; continue; fi
  if ! "$bin" policy check "$policy" > "$work/check.out" 2> "$work/check.err"; then
    # the issues (FILE:LINE:COLUMN: error: ...) are on stdout, the "N problem(s)" summary on stderr
    issues=$(grep -v '^[[:space:]]*$' "$work/check.out" | head -2 | sed "s|^$policy:||" | paste -sd ';' - | sed 's/;/; /g')
    [ -n "$issues" ] || issues=$(grep -v '^[[:space:]]*$' "$work/check.err" | tail -1)
    more=$(($(grep -c . "$work/check.out" || true) - 2))
    [ "$more" -gt 0 ] && issues="$issues (+$more more)"
    skip "fails \`ledgerbot policy check\`: ${issues:-no message}"
    continue
  fi
  engine=$(sed -n 's/.*(nlu: \([^)]*\))[[:space:]]*$/\1/p' "$work/check.out" | tail -1)
  if [ "$explicit" -eq 0 ] && [ "${engine:-builtin}" != builtin ]; then
    skip "nlu.engine is $engine, not builtin (name the file to benchmark its training data anyway)"
    continue
  fi
  n=$((n + 1))
  ours="$work/ours-$n.json" base="$work/sklearn-$n.json"
  echo "nlu-bench: $shown: ledgerbot nlu test" >&2
  status=0
  "$bin" nlu test --policy "$policy" --format json --threshold 0 > "$ours" 2> "$work/nlu.err" || status=$?
  if [ "$status" -ne 0 ]; then
    reason=$(grep -v '^[[:space:]]*$' "$work/nlu.err" | tail -1 | sed 's/^error: //')
    skip "\`ledgerbot nlu test\` exited $status: ${reason:-no message}"
    continue
  fi
  echo "nlu-bench: $shown: scikit-learn baseline" >&2
  "$py" tools/nlu-bench/baseline.py "$ours" > "$base"
  printf '%s\t%s\t%s\t%s\n' "$shown" "${engine:-unknown}" "$ours" "$base" >> "$work/manifest"
done

report=(tools/nlu-bench/report.py --manifest "$work/manifest" --skipped "$work/skipped")
[ -n "$json_out" ] && report+=(--json "$json_out")
"$py" "${report[@]}"
