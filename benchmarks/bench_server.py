"""A minimal HTTP/1.1 keep-alive server for the benchmarks, run in its own process so that its work does
not share the benchmark's GIL. Serves canned answers: {"METHOD /path": {"status": 200, "body": json_text}}
(a body of null answers with no content, as a 204 does).

Usage: python bench_server.py ANSWERS.json   (prints the port on stdout, serves until killed)"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

with open(sys.argv[1], encoding="utf-8") as handle:
    ANSWERS = {key: (value["status"], None if value["body"] is None else value["body"].encode())
               for key, value in json.load(handle).items()}
NOT_FOUND = (404, b'{"status":404,"error":"Not Found","code":"route_not_found"}')


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once: no 40 ms delayed-ACK stall

    def serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status, body = ANSWERS.get(f"{self.command} {self.path.split('?')[0]}", NOT_FOUND)
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        if body:
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = serve

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # the async table opens 50 connections at once (the default backlog is 5)
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
