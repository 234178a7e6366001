# Sourced by the webhook benchmarks (bench-ingest.sh, bench-postgres.sh): wrk posts the
# incoming-message fixture with a unique X-Chatwoot-Delivery per request and reports the rate
# and latency.
#
#   wrk_prepare WORKDIR              installs wrk if missing, writes the Lua script
#   wrk_run URL CONNECTIONS SECONDS  prints "req/s p50_ms p99_ms non2xx [errors:…]"

wrk_prepare() {
  wrk_work="$1"
  if ! command -v wrk >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  fi
  cat > "$wrk_work/post.lua" <<'LUA'
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args) prefix = os.getenv("RUN_ID") .. "-" .. tid .. "-"; counter = 0 end
function request()
  counter = counter + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-Chatwoot-Delivery"] = prefix .. counter}, body)
end
LUA
  export BODY_FILE="Tests/Fixtures/chatwoot/webhook-message_created-incoming.json"
}

wrk_run() {
  RUN_ID="run-$2-$RANDOM$RANDOM" wrk -t2 -c"$2" -d"$3s" --latency -s "$wrk_work/post.lua" "$1" > "$wrk_work/wrk.out" 2>&1
  python3 - "$wrk_work/wrk.out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    if not m: sys.exit(f"cannot read wrk latency {v!r} in:\n{text}")
    n, u = float(m.group(1)), m.group(2)
    return n / 1000 if u == "us" else n * 1000 if u == "s" else n * 60000 if u == "m" else n
found = re.search(r"Requests/sec:\s+([\d.]+)", text)
if not found: sys.exit(f"wrk printed no rate:\n{text}")
rps = float(found.group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1)); p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text); errs = re.search(r"Socket errors: (.*)", text)
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {bad.group(1) if bad else 0} {'errors:' + errs.group(1).replace(' ', '') if errs else ''}")
PY
}
