#!/usr/bin/env python3
"""Decision latency of a running `ledgerbot serve --policy ...` against a fake Chatwoot.

For each of N new conversations: POST a customer's `message_created` webhook to the bot, note
when its 200 arrives (the webhook is durable in the ledger by then), and note when the fake
Chatwoot receives the bot's first API call for that conversation. The difference is the decision
latency: ledger notification -> projection -> reactor (NLU, policy) -> decision appended (fsync)
-> outbox -> HTTP call. One webhook in flight at a time (latency, not throughput).

Baselines in the same run, on the same loopback and machine:
  - ingest: the webhook round trip itself (HTTP + durable append), which the latency follows;
  - http:   a plain POST round trip to the fake Chatwoot (the cost of the API call alone).
"""
import http.server, json, socketserver, sys, threading, time, urllib.request, argparse, statistics

parser = argparse.ArgumentParser()
parser.add_argument("--bot", required=True, help="bot webhook URL")
parser.add_argument("--fake-port-file", required=True)
parser.add_argument("--fixtures", required=True)
parser.add_argument("--count", type=int, default=300)
parser.add_argument("--warmup", type=int, default=30)
parser.add_argument("--json")
args = parser.parse_args()

template = json.load(open(f"{args.fixtures}/webhook-message_created-incoming.json"))
created = open(f"{args.fixtures}/api-message-create-response.json", "rb").read()
toggled = open(f"{args.fixtures}/api-toggle-status-response.json", "rb").read()

first_call = {}          # conversation id -> monotonic time of the bot's first API call
calls = threading.Condition()

class FakeChatwoot(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        now = time.monotonic()
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        parts = self.path.split("/")
        body = b"{}"
        if "conversations" in parts:
            conversation = int(parts[parts.index("conversations") + 1])
            with calls:
                first_call.setdefault(conversation, now)
                calls.notify_all()
            body = toggled if self.path.endswith("toggle_status") else created
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

fake = Server(("127.0.0.1", 0), FakeChatwoot)
threading.Thread(target=fake.serve_forever, daemon=True).start()
with open(args.fake_port_file, "w") as f:
    f.write(str(fake.server_address[1]))

# Wait for the bot to listen.
for _ in range(300):
    try:
        urllib.request.urlopen(args.bot.replace("/webhooks/chatwoot", "/healthz"), timeout=1)
        break
    except Exception:
        time.sleep(0.1)

def post(url, payload, headers):
    request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
        return response.status

decision, ingest, plain = [], [], []
base = 500000 + int(time.time()) % 100000 * 10
for i in range(args.warmup + args.count):
    conversation = base + i
    body = json.loads(json.dumps(template))
    body["id"] = 900000 + i
    body["content"] = "hello"
    body["conversation"]["id"] = conversation
    body["conversation"]["status"] = "pending"
    payload = json.dumps(body).encode()
    start = time.monotonic()
    status = post(args.bot, payload, {"Content-Type": "application/json", "X-Chatwoot-Delivery": f"bench-{conversation}"})
    acked = time.monotonic()
    assert status == 200, status
    with calls:
        if not calls.wait_for(lambda: conversation in first_call, timeout=10):
            sys.exit(f"the bot made no API call for conversation {conversation} within 10 s (is --policy answering 'hello'?)")
    # A plain API-sized round trip to the same fake server, for the baseline.
    p0 = time.monotonic()
    post(f"http://127.0.0.1:{fake.server_address[1]}/healthz", b"{}", {"Content-Type": "application/json"})
    p1 = time.monotonic()
    if i >= args.warmup:
        decision.append((first_call[conversation] - acked) * 1000)
        ingest.append((acked - start) * 1000)
        plain.append((p1 - p0) * 1000)

def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]

rows = {name: {"p50": pct(v, 0.5), "p90": pct(v, 0.9), "p99": pct(v, 0.99), "max": max(v), "mean": statistics.mean(v)}
        for name, v in (("decision", decision), ("ingest", ingest), ("http", plain))}
print(f"{'measure':<44}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}")
labels = {"decision": "decision: webhook acked -> first API call", "ingest": "baseline: webhook round trip (durable ack)", "http": "baseline: plain POST to fake Chatwoot"}
for name in ("decision", "ingest", "http"):
    r = rows[name]
    print(f"{labels[name]:<44}{r['p50']:>9.2f}{r['p90']:>9.2f}{r['p99']:>9.2f}{r['max']:>9.2f}")
ratio_ingest = rows["decision"]["p99"] / rows["ingest"]["p99"]
ratio_http = rows["decision"]["p99"] / rows["http"]["p99"]
print(f"\n{args.count} conversations (+{args.warmup} warm-up), one webhook in flight.")
print(f"decision p99 = {ratio_ingest:.2f}x the webhook round trip p99, {ratio_http:.2f}x a plain POST p99")
print(f"target p99 < 5 ms: {'met' if rows['decision']['p99'] < 5 else 'NOT met'} ({rows['decision']['p99']:.2f} ms)")
if args.json:
    json.dump({"count": args.count, "warmup": args.warmup, "results_ms": rows,
               "ratio_p99_vs_ingest": ratio_ingest, "ratio_p99_vs_plain_post": ratio_http}, open(args.json, "w"), indent=2)
fake.shutdown()
