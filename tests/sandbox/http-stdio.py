"""A read-only HTTP/1.1 file server on stdin/stdout, one TCP connection per process.

qemu's user network runs it for each guest connection to the sandbox's package mirror
(guestfwd=tcp:10.0.2.100:80-cmd:...), so the restricted guest reaches files of the controller
and nothing else. Usage: http-stdio.py ROOT. GET and HEAD; keep-alive; 404 outside ROOT.
"""

import os
import posixpath
import sys
import urllib.parse


def respond(out, status, body, head_only, extra=""):
    out.write(("HTTP/1.1 %s\r\nContent-Length: %d\r\n%s\r\n" % (status, len(body), extra)).encode("ascii"))
    if not head_only:
        out.write(body)
    out.flush()


def main():
    root = os.path.realpath(sys.argv[1])
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while True:
        line = inp.readline()
        if not line:
            return 0
        if not line.strip():
            continue
        parts = line.decode("latin-1").split()
        headers = {}
        while True:
            h = inp.readline()
            if not h or not h.strip():
                break
            key, _sep, value = h.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        close = headers.get("connection", "").lower() == "close"
        extra = "Connection: close\r\n" if close else ""
        if len(parts) < 2 or parts[0] not in ("GET", "HEAD"):
            respond(out, "405 Method Not Allowed", b"", False, extra)
        else:
            rel = posixpath.normpath(urllib.parse.unquote(urllib.parse.urlsplit(parts[1]).path)).lstrip("/")
            path = os.path.realpath(os.path.join(root, rel))
            if (path == root or path.startswith(root + os.sep)) and os.path.isfile(path):
                with open(path, "rb") as f:
                    respond(out, "200 OK", f.read(), parts[0] == "HEAD", extra)
            else:
                respond(out, "404 Not Found", b"not found\n", parts[0] == "HEAD", extra)
        if close:
            return 0


if __name__ == "__main__":
    sys.exit(main())
