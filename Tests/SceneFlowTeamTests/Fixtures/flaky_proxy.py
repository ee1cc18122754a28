"""A loopback HTTP proxy in front of an S3-compatible server that can fail on purpose.

    python3 flaky_proxy.py UPSTREAM_URL PORT_FILE

Forwards every request to UPSTREAM_URL unchanged (method, path, headers, body) and returns the
upstream's answer. Control (answered by the proxy itself, never forwarded):
    POST /__proxy/fail?count=N&status=503[&method=PUT]   the next N requests (of that method) get
                                            that status (an S3 error body)
    GET  /__proxy/stats                     JSON: requests forwarded, by method, and failed
Writes the port it listens on to PORT_FILE once it is ready.
"""
import http.client
import json
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

upstream = urllib.parse.urlsplit(sys.argv[1])
lock = threading.Lock()
state = {"fail": 0, "status": 503, "method": None, "forwarded": 0, "failed": 0, "by_method": {}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/xml"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/__proxy/"):
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            with lock:
                if url.path == "/__proxy/fail":
                    state["fail"] = int(query.get("count", "1"))
                    state["status"] = int(query.get("status", "503"))
                    state["method"] = query.get("method")
                payload = json.dumps(state).encode()
            return self.reply(200, payload, "application/json")
        with lock:
            failing = state["fail"] > 0 and state["method"] in (None, self.command)
            if failing:
                state["fail"] -= 1
                state["failed"] += 1
                status = state["status"]
            else:
                state["forwarded"] += 1
                state["by_method"][self.command] = state["by_method"].get(self.command, 0) + 1
        if failing:
            code = "SlowDown" if status == 503 else "InternalError"
            return self.reply(status, f"<Error><Code>{code}</Code><Message>injected</Message></Error>".encode())
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "expect")}
        connection.request(self.command, self.path, body=body if body or self.command in ("PUT", "POST") else None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("connection", "transfer-encoding", "content-length", "server", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data) if self.command != "HEAD" else int(response.getheader("Content-Length") or 0)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        connection.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
