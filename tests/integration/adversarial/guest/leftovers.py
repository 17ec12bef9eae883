"""What a helper killed by a timeout leaves in /var/run/efs, and its removal.

python3 leftovers.py list   '~' state files (the watchdog never reads them), with their relay pid
python3 leftovers.py clean  stop those relays, remove the '~' file, its tunnel config and '+' directory
                            (their names end in the port, so they keep it reserved)
"""

import json
import os
import shutil
import signal
import sys

D = "/var/run/efs"


def leftovers():
    names = sorted(os.listdir(D)) if os.path.isdir(D) else []
    for name in names:
        if name.startswith("~fs-"):
            try:
                with open(os.path.join(D, name)) as f:
                    pid = int(json.load(f).get("pid", -1))
            except (OSError, ValueError):
                pid = -1
            yield name, pid


def main(what):
    for name, pid in leftovers():
        if what == "list":
            print("%s pid %s" % (name, pid))
            continue
        if pid > 0:
            try:
                os.killpg(os.getpgid(pid), signal.SIGTERM)
                print("stopped relay %d (%s)" % (pid, name))
            except OSError:
                pass
        base = name[1:]
        for f in (name, "stunnel-config." + base):
            try:
                os.unlink(os.path.join(D, f))
            except FileNotFoundError:
                pass
        shutil.rmtree(os.path.join(D, base + "+"), ignore_errors=True)
        print("removed %s, stunnel-config.%s and %s+" % (name, base, base))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "list"))
