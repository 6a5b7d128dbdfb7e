#!/usr/bin/env python3
"""tlsserver.py - an HTTPS server limited to chosen TLS versions, to test the client's TLS minimum.

  tlsserver.py --cert CERT --key KEY --max-version 1.1 --ready READY --log LOG

It listens on 127.0.0.1 (ephemeral port), accepts TLS from --min-version (1.0 by default) to --max-version, and
answers every request with `200` and a small JSON body naming the negotiated version. To serve TLS 1.0 or 1.1 at
all with a current OpenSSL, the cipher list is opened to security level 0 (`DEFAULT@SECLEVEL=0`).

Each handshake is appended to --log as one JSON line: {"ok": true, "version": "TLSv1.2"} or
{"ok": false, "error": "..."}; --ready receives {"url": URL, "pid": N} once the server listens.
Only the Python standard library is used.
"""

import argparse
import json
import os
import signal
import socket
import ssl
import threading
import warnings

warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 and 1.1 are deprecated: that is the point

VERSIONS = {
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}

log_lock = threading.Lock()


def log(path, entry):
    with log_lock, open(path, "a") as handle:
        handle.write(json.dumps(entry) + "\n")


def serve(connection, context, log_path):
    try:
        connection.settimeout(30)
        try:
            secure = context.wrap_socket(connection, server_side=True)
        except (ssl.SSLError, OSError) as error:
            log(log_path, {"ok": False, "error": str(error)})
            return
        version = secure.version()
        log(log_path, {"ok": True, "version": version})
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            piece = secure.recv(4096)
            if not piece:
                return
            data += piece
        body = json.dumps({"tls": version}).encode()
        head = (
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: application/json\r\n"
            "Docker-Distribution-API-Version: registry/2.0\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        secure.sendall(head + body)
        secure.close()
    except OSError:
        pass
    finally:
        try:
            connection.close()
        except OSError:
            pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--min-version", default="1.0", choices=sorted(VERSIONS))
    parser.add_argument("--max-version", required=True, choices=sorted(VERSIONS))
    parser.add_argument("--ready", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers("DEFAULT@SECLEVEL=0")
    context.minimum_version = VERSIONS[args.min_version]
    context.maximum_version = VERSIONS[args.max_version]
    context.load_cert_chain(args.cert, args.key)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    url = "https://127.0.0.1:%d" % listener.getsockname()[1]
    with open(args.ready + ".tmp", "w") as handle:
        handle.write(json.dumps({"url": url, "pid": os.getpid()}))
    os.rename(args.ready + ".tmp", args.ready)
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=serve, args=(connection, context, args.log), daemon=True).start()


if __name__ == "__main__":
    main()
