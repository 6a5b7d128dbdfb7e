#!/usr/bin/env python3
"""hostile.py - a registry that misbehaves on purpose, to test what a client sends where and what it reads.

It listens on two loopback origins: the "registry" (127.0.0.1, ephemeral port) and a "foreign" origin
(127.0.0.2 when that address can be bound, else 127.0.0.1 on another port) standing for a CDN, a storage
service or any other host a server names. Every request either origin receives is recorded: method, path,
whether and which `Authorization` it carried, how many body bytes came in and how many response bytes went out
before the client stopped reading (bodies are generated, never stored: a 2 GiB answer costs no memory).

When both listeners are up it writes {"registry": URL, "foreign": URL, "pid": N} to --ready (and prints it).

Control (on the registry origin):
  GET  /__hostile__/records    every request so far, oldest first (JSON list)
  POST /__hostile__/reset      forget the records

Behaviour by path (the repository name picks the misbehaviour, so one server serves every case):
  /v2/                         --v2 open (200), basic (401 Basic unless the user/password match),
                               bearer (401 Bearer with a realm on the registry's /token),
                               redirect (307 to the foreign origin's /v2/, which answers 401 with its own
                               Basic challenge), redirect-bearer (the same with a Bearer realm on the foreign
                               origin), huge-401 (401 Basic with a --huge-bytes body)
  /token                       200 {"token": ...}; /token?scope=...huge... answers a --huge-bytes body
  /v2/redirect401/blobs/D      307 to the foreign origin, which answers 401 with its own Bearer realm
  /v2/redirect403/blobs/D      307 to the foreign origin, which answers 403
  /v2/hugeblob/blobs/D         200 with a --huge-bytes body
  /v2/hugemanifest/manifests/T 200 (OCI manifest type) with a --huge-bytes body
  /v2/hugeerror/manifests/T    404 with a --huge-bytes body
  /v2/hugetoken/manifests/T    401 Bearer whose realm (/token?huge=1) answers a --huge-bytes token body
  /v2/chunkmin/blobs/uploads/  202 with OCI-Chunk-Min-Length: 2^63-1
  /v2/rangepatch/...           PATCH answers 202 with Range: 0-(2^63-1)
  /v2/foreignlocation/...      POST answers 202 with a Location on the foreign origin, which answers 401 Basic
  /v2/breakput/...             PUT reads part of the body and drops the connection; the session's GET
                               status then answers Range: 0-(2^63-1)
  /v2/stallhead/...            (manifests, tags/list) accepts the request and never answers
  /v2/stallbody/...            (manifests, tags/list) answers 200 with the head and the first bytes of a longer
                               body, then stalls; both stalls end when the client closes the connection (recorded
                               as client_closed) or after --stall-seconds
  /v2/<any>/blobs/D            HEAD 404 (so that uploads start)
Only the Python standard library is used.
"""

import argparse
import base64
import json
import os
import select
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HUGE_RANGE_END = str(2**63 - 1)
BLOCK = b"x" * (64 * 1024)

records = []
records_lock = threading.Lock()
settings = {}


def record(origin, handler, body_bytes):
    entry = {
        "origin": origin,
        "method": handler.command,
        "path": handler.path,
        "authorization": handler.headers.get("Authorization"),
        "body_bytes": body_bytes,
        "sent_bytes": 0,
        "finished": False,
    }
    with records_lock:
        entry["index"] = len(records)
        records.append(entry)
    return entry


def update(entry, **changes):
    with records_lock:
        entry.update(changes)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    origin = "registry"

    def log_message(self, format, *args):  # quiet: the records are the log
        pass

    # -- plumbing ------------------------------------------------------------------------------------------

    def read_body(self, limit=None):
        """Reads (and counts) the request body; stops after `limit` bytes when given."""
        total = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                line = self.rfile.readline()
                if not line:
                    break
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                while size > 0:
                    piece = self.rfile.read(min(size, 65536))
                    if not piece:
                        return total
                    total += len(piece)
                    size -= len(piece)
                    if limit is not None and total >= limit:
                        return total
                self.rfile.readline()
            return total
        length = int(self.headers.get("Content-Length") or 0)
        while total < length:
            piece = self.rfile.read(min(length - total, 65536))
            if not piece:
                break
            total += len(piece)
            if limit is not None and total >= limit:
                break
        return total

    def answer(self, entry, status, headers=None, body=b""):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        update(entry, sent_bytes=len(body), finished=True, status=status)

    def answer_huge(self, entry, status, headers=None, prefix=b""):
        """Streams a generated body of --huge-bytes, counting what the client accepted."""
        size = settings["huge_bytes"]
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        update(entry, status=status, declared_bytes=size)
        sent = 0
        try:
            if prefix:
                self.wfile.write(prefix)
                sent += len(prefix)
            while sent < size:
                piece = BLOCK[: min(len(BLOCK), size - sent)]
                self.wfile.write(piece)
                sent += len(piece)
                update(entry, sent_bytes=sent)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            update(entry, sent_bytes=sent, finished=True, client_closed=True)
            self.close_connection = True
            return
        update(entry, sent_bytes=sent, finished=True, client_closed=False)

    def stall(self, entry, head=None, body_prefix=b""):
        """Holds the request without finishing the answer until the client closes the connection.

        With `head` (status, headers, declared length) the head and `body_prefix` go out first, so that the client
        is stuck reading the body; without it nothing at all is answered."""
        sent = 0
        try:
            if head is not None:
                status, headers, declared = head
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(declared))
                self.end_headers()
                self.wfile.write(body_prefix)
                self.wfile.flush()
                sent = len(body_prefix)
                update(entry, status=status, declared_bytes=declared, sent_bytes=sent)
            update(entry, stalled=True)
            give_up = time.monotonic() + settings["stall_seconds"]
            while time.monotonic() < give_up:
                readable, _, _ = select.select([self.connection], [], [], 0.2)
                if readable and not self.connection.recv(1, socket.MSG_PEEK):
                    update(entry, finished=True, client_closed=True)
                    break
            else:
                update(entry, finished=True, client_closed=False)
        except (BrokenPipeError, ConnectionResetError, OSError):
            update(entry, finished=True, client_closed=True)
        self.close_connection = True

    def stall_route(self, entry, repo, kind):
        """The stallhead / stallbody answers; `kind` is "manifest" or "tags"."""
        if repo == "stallhead" or self.command == "HEAD":
            return self.stall(entry)
        if kind == "manifest":
            head = (200, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, 4096)
            return self.stall(entry, head, b'{"schemaVersion":2,')
        head = (200, {"Content-Type": "application/json"}, 4096)
        return self.stall(entry, head, b'{"name":"stallbody","tags":["a",')

    def foreign_url(self, path):
        return settings["foreign"] + path

    def registry_url(self, path):
        return settings["registry"] + path

    def authorized(self):
        expected = "Basic " + base64.b64encode(f"{settings['user']}:{settings['password']}".encode()).decode()
        value = self.headers.get("Authorization") or ""
        return value == expected or value == "Bearer registry-token"

    # -- dispatch ------------------------------------------------------------------------------------------

    def handle_any(self):
        path = urllib.parse.urlsplit(self.path).path
        if self.origin == "registry" and path.startswith("/__hostile__/"):
            return self.control(path)
        body_limit = None
        if self.origin == "registry" and self.command == "PUT" and path.startswith("/v2/breakput/"):
            body_limit = 4096
        received = 0
        if self.command in ("POST", "PUT", "PATCH"):
            received = self.read_body(body_limit)
        entry = record(self.origin, self, received)
        if self.origin == "foreign":
            return self.foreign(entry, path)
        return self.registry(entry, path)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    def control(self, path):
        if path == "/__hostile__/records":
            with records_lock:
                body = json.dumps(records).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif path == "/__hostile__/reset":
            self.read_body()
            with records_lock:
                records.clear()
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def foreign(self, entry, path):
        if path == "/token":
            return self.answer(entry, 200, {"Content-Type": "application/json"}, b'{"token":"foreign-token"}')
        if path == "/v2/":
            if settings["v2"] == "redirect-bearer":
                challenge = f'Bearer realm="{self.foreign_url("/token")}",service="foreign"'
            else:
                challenge = 'Basic realm="foreign"'
            return self.answer(entry, 401, {"WWW-Authenticate": challenge})
        if path.startswith("/storage/403/"):
            return self.answer(entry, 403, {"Content-Type": "application/xml"}, b"<Error>AccessDenied</Error>")
        if path.startswith("/upload/"):
            # An upload Location on this origin: it asks for credentials of its own.
            return self.answer(entry, 401, {"WWW-Authenticate": 'Basic realm="foreign-upload"'})
        if path.startswith("/storage/"):
            challenge = f'Bearer realm="{self.foreign_url("/token")}",service="storage",scope="blob:read"'
            return self.answer(entry, 401, {"WWW-Authenticate": challenge})
        return self.answer(entry, 404)

    def registry(self, entry, path):
        mode = settings["v2"]
        if path == "/v2/" or path == "/v2":
            if mode == "redirect" or mode == "redirect-bearer":
                return self.answer(entry, 307, {"Location": self.foreign_url("/v2/")})
            if mode == "huge-401":
                return self.answer_huge(entry, 401, {"WWW-Authenticate": 'Basic realm="hostile"'})
            if mode == "basic" and not self.authorized():
                return self.answer(entry, 401, {"WWW-Authenticate": 'Basic realm="hostile"'})
            if mode == "bearer" and not self.authorized():
                challenge = f'Bearer realm="{self.registry_url("/token")}",service="hostile"'
                return self.answer(entry, 401, {"WWW-Authenticate": challenge})
            return self.answer(entry, 200, {"Docker-Distribution-API-Version": "registry/2.0"})
        if path == "/token":
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            if "huge" in query:
                return self.answer_huge(entry, 200, {"Content-Type": "application/json"}, prefix=b'{"token":"')
            return self.answer(entry, 200, {"Content-Type": "application/json"}, b'{"token":"registry-token"}')

        parts = path.split("/")
        repo = parts[2] if len(parts) > 2 else ""
        if mode in ("basic", "bearer") and not self.authorized() and repo not in ("hugetoken",):
            if mode == "basic":
                return self.answer(entry, 401, {"WWW-Authenticate": 'Basic realm="hostile"'})
            challenge = f'Bearer realm="{self.registry_url("/token")}",service="hostile"'
            return self.answer(entry, 401, {"WWW-Authenticate": challenge})

        if "/blobs/uploads/" in path:
            return self.upload(entry, path, repo)
        if "/blobs/" in path:
            digest = path.rsplit("/", 1)[-1]
            if self.command == "HEAD":
                return self.answer(entry, 404)
            if repo == "redirect401":
                return self.answer(entry, 307, {"Location": self.foreign_url("/storage/" + digest)})
            if repo == "redirect403":
                return self.answer(entry, 307, {"Location": self.foreign_url("/storage/403/" + digest)})
            if repo == "hugeblob":
                return self.answer_huge(entry, 200, {"Content-Type": "application/octet-stream"})
            return self.answer(entry, 404)
        if repo in ("stallhead", "stallbody") and ("/manifests/" in path or path.endswith("/tags/list")):
            return self.stall_route(entry, repo, "manifest" if "/manifests/" in path else "tags")
        if "/manifests/" in path:
            if repo == "hugemanifest":
                return self.answer_huge(
                    entry, 200, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
                    prefix=b'{"schemaVersion":2,"x":"')
            if repo == "hugeerror":
                return self.answer_huge(entry, 404, {"Content-Type": "application/json"},
                                        prefix=b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"')
            if repo == "hugetoken":
                if (self.headers.get("Authorization") or "").startswith("Bearer "):
                    return self.answer(entry, 404)
                challenge = f'Bearer realm="{self.registry_url("/token?huge=1")}",service="hostile"'
                return self.answer(entry, 401, {"WWW-Authenticate": challenge})
            return self.answer(entry, 404)
        return self.answer(entry, 404)

    def upload(self, entry, path, repo):
        session = f"/v2/{repo}/blobs/uploads/session-1"
        if self.command == "POST":
            if repo == "foreignlocation":
                return self.answer(entry, 202, {"Location": self.foreign_url("/upload/session-1"), "Range": "0-0"})
            headers = {"Location": session, "Range": "0-0", "Docker-Upload-UUID": "session-1"}
            if repo == "chunkmin":
                headers["OCI-Chunk-Min-Length"] = HUGE_RANGE_END
            return self.answer(entry, 202, headers)
        if self.command == "PATCH":
            headers = {"Location": session}
            headers["Range"] = "0-" + HUGE_RANGE_END if repo in ("rangepatch", "chunkmin") else f"0-{max(entry['body_bytes'] - 1, 0)}"
            return self.answer(entry, 202, headers)
        if self.command == "GET":
            return self.answer(entry, 204, {"Location": session, "Range": "0-" + HUGE_RANGE_END})
        if self.command == "PUT":
            if repo == "breakput":
                update(entry, finished=True, dropped=True)
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self.close_connection = True
                return
            return self.answer(entry, 201, {"Location": path})
        if self.command == "DELETE":
            return self.answer(entry, 204)
        return self.answer(entry, 405)


def make_server(address, origin):
    handler = type(f"{origin.title()}Handler", (Handler,), {"origin": origin})
    server = ThreadingHTTPServer(address, handler)
    server.daemon_threads = True
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ready", help="file to write the URLs to once listening")
    parser.add_argument("--v2", default="open",
                        choices=["open", "basic", "bearer", "redirect", "redirect-bearer", "huge-401"])
    parser.add_argument("--user", default="alice")
    parser.add_argument("--password", default="hostile-secret-1")
    parser.add_argument("--huge-bytes", type=int, default=2 * 1024**3)
    parser.add_argument("--stall-seconds", type=float, default=600.0,
                        help="how long a stall route holds a request at most")
    args = parser.parse_args()
    # A parent may start us with signals blocked or ignored; `stop` must be able to end us.
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

    registry = make_server(("127.0.0.1", 0), "registry")
    try:
        foreign = make_server(("127.0.0.2", 0), "foreign")
    except OSError:
        foreign = make_server(("127.0.0.1", 0), "foreign")
    settings.update(
        v2=args.v2, user=args.user, password=args.password, huge_bytes=args.huge_bytes,
        stall_seconds=args.stall_seconds,
        registry="http://%s:%d" % registry.server_address[:2],
        foreign="http://%s:%d" % foreign.server_address[:2],
    )
    for server in (registry, foreign):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ready = json.dumps({"registry": settings["registry"], "foreign": settings["foreign"], "pid": os.getpid()})
    if args.ready:
        with open(args.ready + ".tmp", "w") as handle:
            handle.write(ready)
        os.rename(args.ready + ".tmp", args.ready)
    print(ready, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
