"""Boot hook of the stand-in efs-proxy (test sandbox only), imported by efs_standin_proxy.pth in dist-packages.

The package's efs-proxy is a copy of the guest's python3 interpreter, so that the relay's /proc/PID/exe, comm and
cmdline name efs-proxy exactly as the real binary's do. When that copy starts, this hook runs the relay with the
command line it was given and exits; in every other Python process it does nothing.
"""

import os
import sys

LIB = "/usr/lib/amazon-efs-utils-standin"


def is_relay(executable):
    return os.path.basename(executable or "") == "efs-proxy"


if is_relay(sys.executable):  # pragma: no cover - runs only inside the installed interpreter copy
    sys.path.insert(0, LIB)
    from efs_standin import proxy  # pylint: disable=import-error

    rc = proxy.main(list(sys.orig_argv))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)  # pylint: disable=protected-access
