"""A minimal HTTP/1.1 keep-alive server for the per-call benchmark, run in its own process so that its
work does not share the benchmark's GIL. Serves canned bodies: {"METHOD /path": json_text}.

Usage: python bench_server.py BODIES.json   (prints the port on stdout, serves until killed)"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

with open(sys.argv[1], encoding="utf-8") as handle:
    BODIES = {key: value.encode() for key, value in json.load(handle).items()}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once: no 40 ms delayed-ACK stall

    def serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = BODIES.get(f"{self.command} {self.path.split('?')[0]}")
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        body = body if body is not None else b'{"status":404,"error":"Not Found","code":"route_not_found"}'
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = serve

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # the async table opens 50 connections at once (the default backlog is 5)
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
