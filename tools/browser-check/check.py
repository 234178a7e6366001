#!/usr/bin/env python3
"""Checks Ledgerbot's web pages in a real headless Chromium; run by tools/browser-check.sh, which
records the demo conversation (128, account 1), starts `ledgerbot serve` and the Chatwoot
stand-in host, and passes their URLs here.

Prints one `PASS name` / `FAIL name: why` line per check, then `N passed, N failed`; exits 1
when a check failed, 2 when the browser could not be started.
"""
import argparse
import copy
import json
import os
import signal
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drivers import CheckError, open_driver  # noqa: E402

CONVERSATION, ACCOUNT = 128, 1
HOSTILE_CONVERSATION = 129   # recorded by the check itself: HTML in the customer's text and name
UNKNOWN_CONVERSATION = 999
HOSTILE_TEXT = ("<script>window.__pwned='script'</script><img src=x onerror=\"window.__pwned='img'\">"
                "<b id=pwned>bold?</b>")
HOSTILE_NAME = "Eve <i id=pwned-name>Evil</i><script>window.__pwned='name'</script>"
UNAUTHORIZED = "this page shows customer data"

# What the DOM says about scripts: <script> elements, on* attributes, javascript: URLs, and
# elements that hostile customer text would have created had it been parsed as HTML.
SCRIPT_FREE = """(() => ({
  scripts: document.getElementsByTagName('script').length,
  handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
      .filter(a => /^on/i.test(a.name)).map(a => e.tagName.toLowerCase() + '[' + a.name + ']')),
  javascriptUrls: [...document.querySelectorAll('[href],[src],[action]')]
      .filter(e => /^\\s*javascript:/i.test(e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action'))).length,
  injected: document.querySelectorAll('img, iframe, object, embed, #pwned, #pwned-name').length,
  pwned: window.__pwned === undefined ? null : String(window.__pwned),
}))()"""


class Run:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    @contextmanager
    def check(self, name):
        try:
            yield
        except (AssertionError, CheckError) as error:
            self.failed += 1
            print(f"FAIL {name}: {error}", flush=True)
        except Exception as error:  # a bug in the check or the driver: show where
            self.failed += 1
            where = traceback.extract_tb(error.__traceback__)[-1]
            print(f"FAIL {name}: {type(error).__name__}: {error} (at {os.path.basename(where.filename)}:{where.lineno})", flush=True)
        else:
            self.passed += 1
            print(f"PASS {name}", flush=True)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def script_free(page, what):
    found = page.eval(SCRIPT_FREE)
    problems = [f"{found['scripts']} <script> element(s)" if found["scripts"] else "",
                f"event-handler attributes {found['handlers'][:5]}" if found["handlers"] else "",
                f"{found['javascriptUrls']} javascript: URL(s)" if found["javascriptUrls"] else "",
                f"{found['injected']} element(s) made from customer text" if found["injected"] else "",
                f"window.__pwned = {found['pwned']!r}" if found["pwned"] else ""]
    problems = [p for p in problems if p]
    expect(not problems, f"{what}: " + "; ".join(problems))


def body_text(page, frame=None):
    return page.eval("document.body ? document.body.innerText : ''", frame=frame)


def record_hostile_conversation(base, fixture):
    """POSTs a customer message whose text and sender name are HTML, as Chatwoot would."""
    with open(fixture) as f:
        body = json.load(f)
    contact = {"id": 666, "name": HOSTILE_NAME, "email": "eve@example.com", "phone_number": None,
               "identifier": None, "thumbnail": "", "blocked": False, "type": "contact",
               "additional_attributes": {}, "custom_attributes": {}}
    body["id"] = 99001
    body["content"] = HOSTILE_TEXT
    body["sender"] = {**copy.deepcopy(contact), "account": body["account"], "avatar": ""}
    conversation = body["conversation"]
    conversation["id"] = HOSTILE_CONVERSATION
    conversation["meta"]["sender"] = copy.deepcopy(contact)
    conversation["contact_inbox"]["contact_id"] = contact["id"]
    for message in conversation.get("messages", []):
        message.update({"id": 99001, "content": HOSTILE_TEXT, "processed_message_content": HOSTILE_TEXT,
                        "conversation_id": HOSTILE_CONVERSATION, "sender_id": contact["id"],
                        "sender": copy.deepcopy(contact)})
    request = urllib.request.Request(f"{base}/webhooks/chatwoot", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            expect(response.status == 200, f"POST /webhooks/chatwoot answered {response.status}")
    except urllib.error.HTTPError as error:
        raise AssertionError(f"POST /webhooks/chatwoot answered {error.code}: {error.read()[:200]!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="Ledgerbot, e.g. http://127.0.0.1:8080")
    parser.add_argument("--token", required=True, help="its LEDGERBOT_ADMIN_TOKEN")
    parser.add_argument("--host", required=True, help="the Chatwoot stand-in, e.g. http://localhost:9000")
    parser.add_argument("--chromium", required=True, help="the Chromium executable")
    parser.add_argument("--driver", choices=["auto", "playwright", "cdp"], default="auto")
    parser.add_argument("--fixture", required=True, help="a message_created webhook body (JSON) to adapt")
    parser.add_argument("--screenshots", help="also save PNG screenshots of the pages here")
    args = parser.parse_args()
    base, token = args.base.rstrip("/"), args.token
    if args.screenshots:
        os.makedirs(args.screenshots, exist_ok=True)
    quoted = urllib.parse.quote(token, safe="")
    timeline_path = f"/conversations/{CONVERSATION}?account={ACCOUNT}"

    def shot(page, name):
        if args.screenshots:
            page.screenshot(os.path.join(args.screenshots, name + ".png"))

    def host_url(app_token, conversation=CONVERSATION):
        app = f"{base}/dashboard-app?token={urllib.parse.quote(app_token, safe='')}"
        return f"{args.host}/chatwoot-host.html?" + urllib.parse.urlencode({"app": app, "conversation": conversation})

    # On SIGTERM (tools/browser-check.sh cleaning up), unwind so the browser is closed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        driver = open_driver(args.driver, args.chromium, lambda note: print(f"NOTE {note}", flush=True))
    except Exception as error:
        print(f"FAIL start the browser: {error}", flush=True)
        return 2
    print(f"browser: {driver.version} via {driver.name}", flush=True)
    run = Run()
    try:
        with run.check(f"setup: a webhook whose customer text and name are HTML is recorded (conversation {HOSTILE_CONVERSATION})"):
            record_hostile_conversation(base, args.fixture)

        # ---- the audit pages without the admin token -------------------------------------------
        anonymous = driver.new_page()
        with run.check("no token: /conversations answers 401 with the admin-token message and no table"):
            response = anonymous.open(f"{base}/conversations")
            expect(response.status == 401, f"status {response.status}, expected 401")
            text = body_text(anonymous)
            expect(UNAUTHORIZED in text, f"page text is {text[:200]!r}")
            expect(anonymous.eval("document.querySelector('#conversations') === null"), "a #conversations table is shown")
        with run.check(f"no token: {timeline_path} answers 401 and shows no timeline"):
            response = anonymous.open(f"{base}{timeline_path}")
            expect(response.status == 401, f"status {response.status}, expected 401")
            expect(UNAUTHORIZED in body_text(anonymous), "no 401 message")
            expect(anonymous.eval("document.querySelector('#timeline') === null"), "a #timeline table is shown")
        with run.check("wrong token: /conversations?token=wrong answers 401 and leaves no cookie that works"):
            response = anonymous.open(f"{base}/conversations?token=wrong-{quoted}")
            expect(response.status == 401, f"status {response.status}, expected 401")
            response = anonymous.open(f"{base}/conversations")
            expect(response.status == 401, f"afterwards /conversations answered {response.status}")
        anonymous.close()

        # ---- the list and the timeline with the token (then the cookie) -------------------------
        admin = driver.new_page()
        list_response = None
        with run.check(f"/conversations?token=T renders #conversations with a row linking to {timeline_path}"):
            list_response = admin.open(f"{base}/conversations?token={quoted}")
            expect(list_response.status == 200, f"status {list_response.status}")
            rows = admin.eval("""[...document.querySelectorAll('#conversations tbody tr')].map(r => ({
                text: r.innerText, links: [...r.querySelectorAll('a')].map(a => a.getAttribute('href'))}))""")
            expect(rows, "the table has no rows")
            ours = [r for r in rows if timeline_path in r["links"]]
            expect(ours, f"no row links to {timeline_path} (links: {[r['links'] for r in rows]})")
            expect("Maria Silva" in ours[0]["text"], f"the row reads {ours[0]['text']!r}")
            expect("customer asked for a human" in ours[0]["text"], f"the row reads {ours[0]['text']!r}")
            shot(admin, "conversations")
        with run.check("the list page: CSP default-src 'none' without script-src, and no script in the DOM"):
            expect(list_response is not None, "the list did not load")
            policy = list_response.headers.get("content-security-policy", "")
            expect("default-src 'none'" in policy and "script-src" not in policy, f"Content-Security-Policy: {policy!r}")
            script_free(admin, "/conversations")
        with run.check("the list shows the HTML customer name as text"):
            names = admin.eval("[...document.querySelectorAll('#conversations tbody tr')].map(r => r.innerText)")
            expect(any(HOSTILE_NAME in n for n in names), f"no row shows {HOSTILE_NAME!r} literally: {names}")

        timeline_response = None
        with run.check(f"clicking the row's link opens the timeline with the cookie alone (no token in the URL)"):
            timeline_response = admin.click_and_wait(f'#conversations a[href="{timeline_path}"]')
            expect(timeline_response.status == 200, f"status {timeline_response.status}")
            url = admin.eval("location.href")
            expect(url == f"{base}{timeline_path}", f"landed on {url}")
            expect(admin.eval("!!document.querySelector('#timeline tbody tr')"), "no #timeline rows")
            shot(admin, "timeline")
        timeline = {"kinds": [], "decisions": 0, "nlu": [], "customer": []}
        try:
            timeline = admin.eval("""(() => { const rows = [...document.querySelectorAll('#timeline tbody tr')];
            return { kinds: [...new Set(rows.map(r => r.className))],
                     decisions: rows.filter(r => r.classList.contains('decision')).length,
                     nlu: [...document.querySelectorAll('#timeline tr.decision .nlu')].map(e => e.innerText),
                     customer: rows.filter(r => r.classList.contains('customer')).map(r => r.querySelector('td.summary').innerText) }; })()""")
        except Exception as error:
            print(f"NOTE cannot read the timeline: {error}", flush=True)
        with run.check("the timeline has rows of kinds customer, decision, effect, bot, status and note"):
            missing = [k for k in ("customer", "decision", "effect", "bot", "status", "note") if k not in timeline["kinds"]]
            expect(not missing, f"no {missing} rows (kinds: {timeline['kinds']})")
        with run.check("the decision rows show their NLU ranking (\"NLU: intent 0.00, ...\")"):
            expect(timeline["decisions"] > 0, "no decision rows")
            expect(timeline["nlu"], "no decision row has an NLU line")
            bad = [n for n in timeline["nlu"] if not n.startswith("NLU: ") or not any(ch.isdigit() for ch in n)]
            expect(not bad, f"odd NLU lines: {bad}")
        with run.check("a customer row reads \"I want to talk to a human agent\""):
            expect(any("I want to talk to a human agent" in t for t in timeline["customer"]),
                   f"customer rows: {timeline['customer']}")
        with run.check("the timeline: CSP default-src 'none' without script-src, and no script in the DOM"):
            expect(timeline_response is not None, "the timeline did not load")
            policy = timeline_response.headers.get("content-security-policy", "")
            expect("default-src 'none'" in policy and "script-src" not in policy, f"Content-Security-Policy: {policy!r}")
            script_free(admin, timeline_path)
        with run.check("the timeline's back link returns to the list (cookie)"):
            response = admin.click_and_wait('a[href="/conversations"]')
            expect(response.status == 200, f"status {response.status}")
            expect(admin.eval("!!document.querySelector('#conversations')"), "no #conversations table")

        hostile_path = f"/conversations/{HOSTILE_CONVERSATION}?account={ACCOUNT}"
        with run.check(f"HTML in a customer's message is shown as text, not run ({hostile_path})"):
            response = admin.open(f"{base}{hostile_path}")
            expect(response.status == 200, f"status {response.status}")
            customer = admin.eval("[...document.querySelectorAll('#timeline tr.customer td.summary')].map(e => e.innerText)")
            expect(any(HOSTILE_TEXT in t for t in customer), f"customer rows: {customer}")
            facts = admin.eval("[...document.querySelectorAll('.fact')].map(e => e.innerText).join(' | ')")
            expect(HOSTILE_NAME in facts, f"the header reads {facts!r}")
            script_free(admin, hostile_path)
            shot(admin, "timeline-hostile")

        # The CSP must actually stop scripts: the same timeline response (the server's headers) with
        # an inline script slipped in must not run it; without the CSP header the same script runs.
        probe = "<script>document.documentElement.dataset.probe = 'ran'</script>"
        slip = lambda body, headers: (body.replace("<body>", "<body>" + probe, 1), headers)
        with run.check("the timeline's CSP blocks an inline script slipped into its HTML"):
            response = admin.open(f"{base}{timeline_path}", transform=slip)
            expect(response.status == 200, f"status {response.status}")
            expect(admin.eval("document.getElementsByTagName('script').length") == 1, "the probe script is not in the page")
            expect(admin.eval("document.documentElement.dataset.probe") is None, "the inline script ran despite the CSP")
        with run.check("control: the same slipped-in script runs once the CSP header is removed"):
            unguarded = lambda body, headers: slip(body, {k: v for k, v in headers.items()
                                                        if k.lower() != "content-security-policy"})
            admin.open(f"{base}{timeline_path}", transform=unguarded)
            expect(admin.eval("document.documentElement.dataset.probe") == "ran", "the probe did not run even without CSP")
        admin.close()

        # ---- the dashboard app in a cross-origin iframe ------------------------------------------
        host = driver.new_page()
        app = "/dashboard-app"
        with run.check(f"the Chatwoot stand-in ({args.host}) embeds {base}{app} and gets its fetch-info request"):
            response = host.open(host_url(token))
            expect(response.status == 200, f"host page status {response.status}")
            log = host.wait_for("window.hostLog.filter(e => e.received === 'chatwoot-dashboard-app:fetch-info')",
                                what="the app's 'chatwoot-dashboard-app:fetch-info' message")
            expect(log[0]["fromApp"] and log[0]["origin"] == base, f"came from {log[0]}")
            expect(host.eval("location.origin") != base, "the host is not a different origin")
        with run.check("the dashboard app fills #summary after appContext (#customer, #handoff, #next)"):
            host.wait_for("!document.getElementById('summary').hidden", frame=app, what="#summary to be shown")
            fields = host.eval("""Object.fromEntries(['status', 'customer', 'intents', 'collected', 'handoff', 'next']
                .map(id => [id, document.getElementById(id).innerText]))""", frame=app)
            expect("Maria Silva" in fields["customer"], f"#customer reads {fields['customer']!r}")
            expect("customer asked for a human" in fields["handoff"], f"#handoff reads {fields['handoff']!r}")
            expect(fields["next"].strip() not in ("", "—"), f"#next reads {fields['next']!r}")
            expect(f"Conversation {CONVERSATION}" in fields["status"], f"#status reads {fields['status']!r}")
            expect(host.eval("performance.getEntriesByType('navigation')[0].responseStatus", frame=app) == 200,
                   "the iframe's document was not a 200")
            shot(host, "dashboard-app")
        audit_href = None
        with run.check(f"the dashboard app's #audit link is visible and points to {timeline_path}"):
            audit = host.eval("""(() => { const a = document.getElementById('audit'); const r = a.getBoundingClientRect();
                return {hidden: a.hidden, visible: r.width > 0 && r.height > 0 && getComputedStyle(a).visibility !== 'hidden',
                        href: a.href, raw: a.getAttribute('href')}; })()""", frame=app)
            expect(not audit["hidden"] and audit["visible"], f"#audit is not visible ({audit})")
            parsed = urllib.parse.urlsplit(audit["href"])
            expect(f"{parsed.scheme}://{parsed.netloc}" == base, f"#audit points to another origin: {audit['href']}")
            expect((audit["raw"] or "").startswith(timeline_path), f"#audit href is {audit['raw']!r}")
            audit_href = audit["href"]
        with run.check("the dashboard app is script-safe: no inline handlers or injected elements, CSP set"):
            policy = host.eval("""fetch(location.href).then(r => r.headers.get('content-security-policy'))""", frame=app) or ""
            expect("default-src 'none'" in policy and "connect-src 'self'" in policy, f"Content-Security-Policy: {policy!r}")
            found = host.eval(SCRIPT_FREE, frame=app)
            expect(found["scripts"] == 1 and not found["handlers"] and not found["injected"] and not found["pwned"],
                   f"found {found}")
        with run.check("the #audit link opens the timeline in a fresh browser context (its token works)"):
            expect(audit_href, "no #audit href")
            fresh = driver.new_page()
            try:
                response = fresh.open(audit_href)
                expect(response.status == 200, f"status {response.status}")
                expect(fresh.eval("document.querySelectorAll('#timeline tbody tr').length") > 0, "no timeline rows")
            finally:
                fresh.close()
        host.close()

        with run.check(f"the dashboard app shows conversation {HOSTILE_CONVERSATION}'s HTML message as text"):
            hostile = driver.new_page()
            try:
                hostile.open(host_url(token, HOSTILE_CONVERSATION))
                hostile.wait_for("!document.getElementById('summary').hidden", frame=app, what="#summary to be shown")
                messages = hostile.eval("[...document.querySelectorAll('#messages blockquote')].map(q => q.textContent)", frame=app)
                expect(HOSTILE_TEXT in messages, f"#messages: {messages}")
                customer = hostile.eval("document.getElementById('customer').textContent", frame=app)
                expect(HOSTILE_NAME in customer, f"#customer: {customer!r}")
                found = hostile.eval(SCRIPT_FREE, frame=app)
                expect(found["scripts"] == 1 and not found["injected"] and not found["pwned"] and not found["handlers"],
                       f"found {found}")
            finally:
                hostile.close()

        with run.check(f"the dashboard app says it has no record of an unknown conversation ({UNKNOWN_CONVERSATION})"):
            unknown = driver.new_page()
            try:
                unknown.open(host_url(token, UNKNOWN_CONVERSATION))
                status = unknown.wait_for("document.getElementById('status').innerText.includes('no record') && "
                                          "document.getElementById('status').innerText", frame=app, what="the 'no record' status")
                expect(str(UNKNOWN_CONVERSATION) in status, f"#status reads {status!r}")
                expect(unknown.eval("document.getElementById('summary').hidden", frame=app), "#summary is shown")
            finally:
                unknown.close()

        with run.check("the dashboard app with a wrong token in its URL shows the 401 text, not the summary"):
            wrong = driver.new_page()
            try:
                wrong.open(host_url("wrong-" + token))
                text = wrong.wait_for(f"document.body && document.body.innerText.includes({json.dumps(UNAUTHORIZED)}) && document.body.innerText",
                                      frame=app, what="the 401 text in the iframe")
                expect(wrong.eval("performance.getEntriesByType('navigation')[0].responseStatus", frame=app) == 401,
                       "the iframe's document was not a 401")
                expect(wrong.eval("document.getElementById('summary') === null && document.getElementById('customer') === null", frame=app),
                       f"summary elements are present (page text {text[:120]!r})")
                expect("Maria Silva" not in text, "customer data is shown")
                shot(wrong, "dashboard-app-401")
            finally:
                wrong.close()
    finally:
        driver.close()

    print(f"{run.passed} passed, {run.failed} failed", flush=True)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
