"""Hostile HTTP probe targets for benches/exporter-soak.sh (stdlib only).

Usage: python3 hostile_targets.py PORTFILE
Listens on 127.0.0.1 (ephemeral port, written to PORTFILE) and answers by path:
  /ok            200, 5 bytes
  /infinite      200, an endless chunked body
  /never         reads the request, never answers
  /drip          200 headers, then one body byte per second
  /huge-headers  1 MiB of response headers
"""
import socket
import sys
import threading
import time


def handle(conn):
    try:
        conn.settimeout(600)
        req = b""
        while b"\r\n\r\n" not in req and len(req) < 65536:
            b = conn.recv(4096)
            if not b:
                return
            req += b
        path = req.split(b" ", 2)[1].split(b"?")[0]
        if path == b"/ok":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        elif path == b"/infinite":
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"10000\r\n" + b"z" * 0x10000 + b"\r\n"
            while True:
                conn.sendall(chunk)
        elif path == b"/never":
            time.sleep(600)
        elif path == b"/drip":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            while True:
                conn.sendall(b"x")
                time.sleep(1)
        elif path == b"/huge-headers":
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (1 << 20) + b"\r\nContent-Length: 0\r\n\r\n")
        else:
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    except OSError:
        pass
    finally:
        conn.close()


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(1024)
    with open(sys.argv[1], "w") as f:
        f.write(str(s.getsockname()[1]))
    while True:
        conn, _ = s.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
