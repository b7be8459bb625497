#!/usr/bin/python3
"""A minimal HTTP-mode server of the peer contract, for trying pqi-chromium by hand.

    http-server.py PORT CERT KEY [COUNT]

Listens on 127.0.0.1:PORT with Python's ssl (the image's OpenSSL, whose default groups put
X25519MLKEM768 first), serves COUNT connections (default 1): reads the request head and answers
200 with the request path without "/" as the body, then closes with close_notify. One JSON line
per connection on stdout. Not part of the image's contract program: a test partner only.
"""
import json
import socket
import ssl
import sys

port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.minimum_version = ssl.TLSVersion.TLSv1_3
context.load_cert_chain(cert, key)
context.num_tickets = 2
listener = socket.create_server(("127.0.0.1", port))
print(f"listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
for _ in range(count):
    raw, _ = listener.accept()
    raw.settimeout(10)
    line = {"ok": False}
    try:
        conn = context.wrap_socket(raw, server_side=True)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                break
            head += chunk
        path = head.split(b" ", 2)[1].decode() if head.count(b" ") >= 2 else "/"
        body = path[1:].encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n"
                     + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode() + body)
        line = {"ok": True, "version": conn.version(), "cipher": conn.cipher()[0],
                "resumed": conn.session_reused, "path": path}
        conn.unwrap()
        conn.close()
    except (OSError, ssl.SSLError) as e:
        line["error"] = str(e)
        raw.close()
    print(json.dumps(line), flush=True)
