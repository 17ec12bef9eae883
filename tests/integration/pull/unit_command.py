"""Prints the command line systemd would run for a unit's ExecStart (one argument per line):
its Environment= lines, then the EnvironmentFile, then ${VAR} as one word and $VAR split at
spaces, as systemd.service(5) says. Only what aws-efs-transit-pull.service uses is supported.
   python unit_command.py UNIT ENV_FILE [--exec]
--exec runs it instead, with that environment only (as systemd would, less the rest of a unit).
"""

from __future__ import annotations

import os
import re
import shlex
import sys


def unit_lines(text):
    """[Service] key/value pairs in order, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    section, out = None, []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line:
            out.append(tuple(part.strip() for part in line.split("=", 1)))
    return out


def environment(pairs, env_file):
    env = {}
    for key, value in pairs:
        if key == "Environment":
            for item in shlex.split(value):
                name, _sep, val = item.partition("=")
                env[name] = val
    with open(env_file, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", ";")) and "=" in line:
                name, _sep, val = line.partition("=")
                env[name.strip()] = val.strip()
    return env


def command(pairs, env):
    exec_start = [v for k, v in pairs if k == "ExecStart"][-1]
    argv = []
    for word in shlex.split(exec_start):
        whole = re.fullmatch(r"\$(\w+)", word)
        if whole:
            argv.extend(env.get(whole[1], "").split())
        else:
            argv.append(re.sub(r"\$\{(\w+)\}", lambda m: env.get(m[1], ""), word))
    return argv


def main(unit, env_file, run=None):
    with open(unit, encoding="utf-8") as f:
        pairs = unit_lines(f.read())
    env = environment(pairs, env_file)
    if run == "--exec":
        argv = command(pairs, env)
        os.execvpe(argv[0], argv, env)
    for name in sorted(env):
        print("%s=%s" % (name, env[name]), file=sys.stderr)
    print("\n".join(command(pairs, env)))


if __name__ == "__main__":
    main(*sys.argv[1:4])
