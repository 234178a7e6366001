"""Two ways for check.py to drive a real (system) Chromium, behind one small interface:

- PlaywrightDriver: Playwright from PyPI, launching the system Chromium with executable_path
  (no `playwright install`: browsers are never downloaded);
- CdpDriver: the bare Chrome DevTools Protocol over a websocket (pip `websocket-client`), with
  `chromium --headless --remote-debugging-port=0`; the fallback when Playwright cannot drive the
  installed Chromium.

A driver makes pages (`new_page()`, each in its own browser context, so cookies are not shared).
A page can `open(url)` (optionally rewriting the document's response on its way to the browser),
`click_and_wait(selector)` (a real mouse click that navigates), `eval(expression, frame=...)`
(in the page's main world, or in the first frame whose URL contains `frame`; cross-origin
iframes included), `wait_for(...)` and `screenshot(path)`.
"""
import base64
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time


class CheckError(Exception):
    """A step could not be carried out (timeout, missing element, browser error)."""


class Response:
    def __init__(self, status, headers, url):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.url = url


def chromium_args():
    args = ["--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-sync", "--mute-audio", "--hide-scrollbars"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return args


def _without_length(headers):
    return {k: v for k, v in headers.items() if k.lower() != "content-length"}


class BasePage:
    def wait_for(self, expression, frame=None, timeout=15.0, what=None):
        """Polls `expression` (in `frame`, see eval) until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                value = self.eval(expression, frame=frame)
                if value:
                    return value
                last = f"last value: {json.dumps(value)}"
            except Exception as error:  # the frame may not exist yet
                last = f"last error: {error}"
            if time.monotonic() > deadline:
                raise CheckError(f"timed out after {timeout:.0f}s waiting for {what or expression} ({last})")
            time.sleep(0.1)


# --------------------------------------------------------------------------------------------
# Playwright


class PlaywrightDriver:
    name = "playwright"

    def __init__(self, chromium):
        from playwright.sync_api import sync_playwright
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(executable_path=chromium, headless=True,
                                                             args=chromium_args(), timeout=60_000)
        except Exception:
            self._playwright.stop()
            raise
        self.version = self._browser.version

    def new_page(self):
        return PlaywrightPage(self._browser.new_context(viewport={"width": 1280, "height": 900}))

    def close(self):
        try:
            self._browser.close()
        finally:
            self._playwright.stop()


class PlaywrightPage(BasePage):
    def __init__(self, context):
        self._context = context
        self._page = context.new_page()
        self._page.set_default_timeout(20_000)

    def open(self, url, transform=None):
        """Navigates; `transform(body, headers) -> (body, headers)` rewrites the document's response."""
        matcher = (lambda candidate: candidate == url)
        if transform:
            def handler(route):
                response = route.fetch()
                body, headers = transform(response.text(), dict(response.headers))
                route.fulfill(status=response.status, headers=_without_length(headers), body=body)
            self._page.route(matcher, handler)
        try:
            response = self._page.goto(url)
        finally:
            if transform:
                self._page.unroute(matcher)
        if response is None:
            raise CheckError(f"no response for {url}")
        return Response(response.status, response.all_headers(), response.url)

    def click_and_wait(self, selector):
        with self._page.expect_navigation() as navigation:
            self._page.click(selector)
        response = navigation.value
        if response is None:
            raise CheckError(f"clicking {selector} gave no response")
        return Response(response.status, response.all_headers(), response.url)

    def _frame(self, part):
        for frame in self._page.frames:
            if frame is not self._page.main_frame and part in frame.url:
                return frame
        raise CheckError(f"no frame whose URL contains {part!r} (frames: {[f.url for f in self._page.frames]})")

    def eval(self, expression, frame=None):
        target = self._frame(frame) if frame else self._page
        return target.evaluate(expression)

    def screenshot(self, path):
        self._page.screenshot(path=path, full_page=True)

    def close(self):
        self._context.close()


# --------------------------------------------------------------------------------------------
# Chrome DevTools Protocol


class CdpDriver:
    name = "cdp"

    def __init__(self, chromium):
        import websocket  # pip websocket-client
        self._profile = tempfile.mkdtemp(prefix="browser-check-chromium-")
        self._log = open(os.path.join(self._profile, "chromium.log"), "wb")
        command = [chromium, "--headless", "--remote-debugging-port=0", f"--user-data-dir={self._profile}",
                   "--window-size=1280,900", *chromium_args(), "about:blank"]
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log)
        self._ws = None
        try:
            port_file = os.path.join(self._profile, "DevToolsActivePort")
            deadline = time.monotonic() + 30
            while not (os.path.exists(port_file) and len(open(port_file).read().split("\n")) >= 2):
                if self._process.poll() is not None:
                    raise CheckError(f"chromium exited with {self._process.returncode} (log: {self._tail()})")
                if time.monotonic() > deadline:
                    raise CheckError(f"chromium did not open its DevTools port in 30s (log: {self._tail()})")
                time.sleep(0.1)
            port, path = open(port_file).read().split("\n")[:2]
            self._ws = websocket.create_connection(f"ws://127.0.0.1:{port.strip()}{path.strip()}",
                                                   suppress_origin=True, timeout=30)
            self._ws.settimeout(None)
            self._queue = queue.Queue()
            self._responses = {}
            self._pages = {}  # session id (a page's or one of its iframes') -> CdpPage
            self._next_id = 0
            threading.Thread(target=self._read, daemon=True).start()
            self.version = self.send("Browser.getVersion")["product"]
        except Exception:
            self.close()
            raise

    def _tail(self):
        self._log.flush()
        with open(os.path.join(self._profile, "chromium.log"), "rb") as log:
            return log.read()[-600:].decode(errors="replace").strip()

    def _read(self):
        try:
            while True:
                self._queue.put(json.loads(self._ws.recv()))
        except Exception:
            self._queue.put(None)

    def send(self, method, params=None, session=None, timeout=30.0):
        self._next_id += 1
        ident = self._next_id
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while ident not in self._responses:
            if not self.pump(deadline - time.monotonic()):
                raise CheckError(f"{method}: no answer from the browser in {timeout:.0f}s")
        answer = self._responses.pop(ident)
        if "error" in answer:
            raise CheckError(f"{method}: {answer['error'].get('message')}")
        return answer.get("result", {})

    def pump(self, timeout):
        """Handles one message from the browser; False when none came in `timeout` seconds."""
        try:
            message = self._queue.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return False
        if message is None:
            raise CheckError(f"the browser closed the DevTools connection (log: {self._tail()})")
        if "id" in message:
            self._responses[message["id"]] = message
        else:
            page = self._pages.get(message.get("sessionId"))
            if page:
                page.on_event(message.get("method"), message.get("params", {}), message.get("sessionId"))
        return True

    def pump_until(self, condition, timeout, what):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise CheckError(f"timed out after {timeout:.0f}s waiting for {what}")
            self.pump(min(0.2, max(deadline - time.monotonic(), 0.0)))

    def new_page(self):
        return CdpPage(self)

    def close(self):
        try:
            if self._ws:
                self._ws.close()
        except Exception:
            pass
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()
        shutil.rmtree(self._profile, ignore_errors=True)


class CdpPage(BasePage):
    def __init__(self, driver):
        self._d = driver
        self._context = driver.send("Target.createBrowserContext", {"disposeOnDetach": True})["browserContextId"]
        self._target = driver.send("Target.createTarget", {"url": "about:blank", "browserContextId": self._context})["targetId"]
        self._session = driver.send("Target.attachToTarget", {"targetId": self._target, "flatten": True})["sessionId"]
        driver._pages[self._session] = self
        self._children = {}   # session id of an out-of-process iframe -> its target info
        self._frames = {}     # frame id -> URL (frames in the page's own process)
        self._contexts = {}   # frame id -> default (main world) execution context id
        self._document = None  # the main frame's last document response
        self._loads = 0
        self._transform = None
        for method in ("Page.enable", "Network.enable", "Runtime.enable"):
            driver.send(method, session=self._session)
        driver.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": False, "flatten": True},
                    session=self._session)
        driver.send("Emulation.setDeviceMetricsOverride",
                    {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=self._session)

    def on_event(self, method, params, session):
        if method == "Target.attachedToTarget":
            self._children[params["sessionId"]] = params["targetInfo"]
            self._d._pages[params["sessionId"]] = self
        elif method == "Target.detachedFromTarget":
            self._children.pop(params.get("sessionId"), None)
            self._d._pages.pop(params.get("sessionId"), None)
        elif session != self._session:
            return
        elif method == "Page.frameNavigated":
            self._frames[params["frame"]["id"]] = params["frame"]["url"]
        elif method == "Runtime.executionContextCreated":
            aux = params["context"].get("auxData", {})
            if aux.get("isDefault"):
                self._contexts[aux.get("frameId")] = params["context"]["id"]
        elif method == "Runtime.executionContextDestroyed":
            self._contexts = {f: c for f, c in self._contexts.items() if c != params.get("executionContextId")}
        elif method == "Runtime.executionContextsCleared":
            self._contexts = {}
        elif method == "Network.responseReceived":
            if params.get("type") == "Document" and params.get("frameId") == self._target:
                response = params["response"]
                self._document = Response(response["status"], response.get("headers", {}), response["url"])
        elif method == "Page.loadEventFired":
            self._loads += 1
        elif method == "Fetch.requestPaused":
            self._intercept(params)

    def _intercept(self, paused):
        request = paused["requestId"]
        url, transform = self._transform or (None, None)
        if transform is None or paused["request"]["url"] != url or "responseStatusCode" not in paused:
            self._d.send("Fetch.continueRequest", {"requestId": request}, session=self._session)
            return
        body = self._d.send("Fetch.getResponseBody", {"requestId": request}, session=self._session)
        text = base64.b64decode(body["body"]).decode() if body.get("base64Encoded") else body["body"]
        headers = {h["name"]: h["value"] for h in paused.get("responseHeaders", [])}
        text, headers = transform(text, headers)
        self._d.send("Fetch.fulfillRequest", {
            "requestId": request, "responseCode": paused["responseStatusCode"],
            "responseHeaders": [{"name": k, "value": v} for k, v in _without_length(headers).items()],
            "body": base64.b64encode(text.encode()).decode()}, session=self._session)

    def _navigated(self, loads, what):
        self._d.pump_until(lambda: self._loads > loads and self._document is not None, 30, what)
        return self._document

    def open(self, url, transform=None):
        """Navigates; `transform(body, headers) -> (body, headers)` rewrites the document's response."""
        self._document, loads = None, self._loads
        if transform:
            self._transform = (url, transform)
            self._d.send("Fetch.enable", {"patterns": [{"urlPattern": "*", "resourceType": "Document",
                                                        "requestStage": "Response"}]}, session=self._session)
        try:
            result = self._d.send("Page.navigate", {"url": url}, session=self._session)
            if result.get("errorText"):
                raise CheckError(f"navigating to {url}: {result['errorText']}")
            return self._navigated(loads, f"{url} to load")
        finally:
            if transform:
                self._transform = None
                self._d.send("Fetch.disable", session=self._session)

    def click_and_wait(self, selector):
        point = self.eval("(() => { const e = document.querySelector(%s); if (!e) return null;"
                          " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
                          " return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()" % json.dumps(selector))
        if not point:
            raise CheckError(f"nothing matches {selector}")
        self._document, loads = None, self._loads
        for kind, button in (("mouseMoved", "none"), ("mousePressed", "left"), ("mouseReleased", "left")):
            self._d.send("Input.dispatchMouseEvent", {"type": kind, "x": point["x"], "y": point["y"],
                                                      "button": button, "clickCount": 1}, session=self._session)
        return self._navigated(loads, f"the page to load after clicking {selector}")

    def _evaluate(self, expression, session, context=None):
        params = {"expression": expression, "returnByValue": True, "awaitPromise": True}
        if context is not None:
            params["contextId"] = context
        result = self._d.send("Runtime.evaluate", params, session=session)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CheckError("script error: " + (details.get("exception", {}).get("description") or details.get("text", "?")))
        return result["result"].get("value")

    def eval(self, expression, frame=None):
        if frame is None:
            return self._evaluate(expression, self._session)
        # a frame in the page's own process ...
        for frame_id, url in self._frames.items():
            if frame_id != self._target and frame in url and frame_id in self._contexts:
                return self._evaluate(expression, self._session, self._contexts[frame_id])
        # ... or an out-of-process (cross-site) iframe, which is a target of its own
        seen = []
        for session in list(self._children):
            try:
                href = self._evaluate("location.href", session)
            except CheckError:
                continue
            seen.append(href)
            if frame in href:
                return self._evaluate(expression, session)
        raise CheckError(f"no frame whose URL contains {frame!r} (frames: {list(self._frames.values()) + seen})")

    def screenshot(self, path):
        size = self.eval("({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight})")
        shot = self._d.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                       "clip": {"x": 0, "y": 0, "width": max(size["w"], 1280),
                                                                "height": max(size["h"], 900), "scale": 1}},
                            session=self._session)
        with open(path, "wb") as out:
            out.write(base64.b64decode(shot["data"]))

    def close(self):
        try:
            self._d.send("Target.closeTarget", {"targetId": self._target})
            self._d.send("Target.disposeBrowserContext", {"browserContextId": self._context})
        except CheckError:
            pass


# --------------------------------------------------------------------------------------------


def open_driver(kind, chromium, say):
    """`kind`: playwright, cdp or auto (Playwright, else CDP). `say` prints a note."""
    if kind in ("playwright", "auto"):
        try:
            return PlaywrightDriver(chromium)
        except Exception as error:
            if kind == "playwright":
                raise
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            say(f"Playwright cannot drive {chromium} ({first}); falling back to the DevTools protocol")
    return CdpDriver(chromium)
