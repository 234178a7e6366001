#!/usr/bin/env python3
"""A stand-in for Chatwoot's origin: serves this folder (chatwoot-host.html) on 127.0.0.1 at a
port the OS picks, prints `listening on http://127.0.0.1:PORT` once it accepts connections, and
serves until it is killed. Used by tools/browser-check.sh."""
import functools
import http.server
import os
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format, *args):  # quiet: the check prints what matters
        pass


def main():
    directory = os.path.dirname(os.path.abspath(__file__))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=directory))
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
