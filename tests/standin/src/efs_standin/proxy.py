"""efs-proxy stand-in: the local relay of amazon-efs-utils 2.x/3.x, as the mount helper and the watchdog see it.

Invoked like the real one: `efs-proxy <stunnel-style config> [--tls] [--no-direct-s3-read]`. It reads the config
the helper writes (global `fips`, `pid`, `output`, `debug`; `[efs]` `accept`, `connect`, `cert`, `key`, `CAfile`,
`checkHost`, ...), writes its pid file, listens on `accept` and relays every connection to `connect`: over TLS 1.2+
with `--tls`, in plain text without it (the real one carries every 2.x mount, TLS or not).

TLS follows the real relay's rules, including where it fails open:
- CAfile: lines starting with "# " are dropped; when nothing is left (empty file, only such comments, or no CAfile
  line at all, as with verify=0) certificate verification is OFF. Anything else that is not PEM fails the relay.
- checkHost: the name the certificate must match (and the SNI); empty or absent means any name is accepted.
A plain TCP relay otherwise: no EFS partition RPCs, no read bypass, no CloudWatch.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import signal
import ssl
import sys

USAGE = "Usage: efs-proxy [OPTIONS] <PROXY_CONFIG_PATH>"
FLAGS = ("--tls", "--no-direct-s3-read")
LEVELS = ("error", "warn", "info", "debug", "trace")
HANDSHAKE_TIMEOUT_SEC = 15
CHUNK = 1 << 16


class ConfigError(Exception):
    pass


# ---------------------------------------------------------------- arguments and config


def parse_args(argv):
    """argv[1:] -> (config_path, tls, no_direct_s3_read); SystemExit(2) with a usage error like clap's."""
    paths, flags = [], set()
    for arg in argv:
        if arg in FLAGS:
            flags.add(arg)
        elif arg.startswith("-"):
            _usage_error("unexpected argument '%s' found" % arg)
        else:
            paths.append(arg)
    if len(paths) != 1:
        _usage_error(
            "the following required arguments were not provided:\n  <PROXY_CONFIG_PATH>"
            if not paths
            else "unexpected argument '%s' found" % paths[1]
        )
    return paths[0], "--tls" in flags, "--no-direct-s3-read" in flags


def _usage_error(message):
    sys.stderr.write("error: %s\n\n%s\n" % (message, USAGE))
    raise SystemExit(2)


def parse_config(text):
    """stunnel-style config -> {"global": {...}, "efs": {...}}; a repeated key keeps its last value."""
    sections = {"global": {}, "efs": {}}
    current = sections["global"]
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), {})
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ConfigError("invalid line %r" % raw)
        current[key.strip()] = value.strip()
    return sections


def config_bool(value):
    lowered = (value or "").lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    raise ConfigError("Invalid value: %s" % value)


def load_config(path):
    """The keys the relay needs; missing required ones (fips, pid, connect, accept) fail like the real parser."""
    with open(path, encoding="utf-8") as handle:
        sections = parse_config(handle.read())
    glob, efs = sections["global"], sections["efs"]
    for key, where in (("fips", glob), ("pid", glob), ("connect", efs), ("accept", efs)):
        if key not in where:
            raise ConfigError("missing field `%s`" % key)
    level = efs.get("proxy_logging_level") or glob.get("debug") or "warn"
    return {
        "fips": config_bool(glob["fips"]),
        "pid": glob["pid"],
        "output": glob.get("output"),
        "level": level.lower() if level.lower() in LEVELS else "warn",
        "connect": efs["connect"],
        "accept": efs["accept"],
        "cert": efs.get("cert", ""),
        "key": efs.get("key", ""),
        "ca_file": efs.get("CAfile", ""),
        "check_host": efs.get("checkHost", ""),
        "fs_id": efs.get("fs_id", ""),
    }


def split_address(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError("invalid address %r" % text)
    return host.strip("[]"), int(port)


# ---------------------------------------------------------------- logging


class Log:
    """The real relay logs only when the config has `output` (the helper writes it with stunnel_debug_enabled);
    errors also go to stderr. Line layout: `<UTC time> <pid> <LEVEL> <module> <message>`."""

    def __init__(self, path=None, level="warn"):
        self.path = path
        self.limit = LEVELS.index(level)

    def __call__(self, level, message):
        if level == "error":
            sys.stderr.write(message + "\n")
        if self.path is None or LEVELS.index(level) > self.limit:
            return
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write("%s %d %s efs_proxy %s\n" % (now, os.getpid(), level.upper(), message))


# ---------------------------------------------------------------- TLS


def read_without_comments(path):
    """The file's lines without those starting with "# ", joined by newlines (as the real relay does before
    handing them to its TLS library). An empty path reads as nothing."""
    if not path:
        return ""
    with open(path, "rb") as handle:
        raw = handle.read().split(b"\n")
    if raw and raw[-1] == b"":
        raw.pop()
    out = ""
    for chunk in raw:
        try:
            line = chunk.decode("utf-8")
        except UnicodeDecodeError:
            break  # the real relay's line reader stops at the first line that is not UTF-8
        if line.startswith("# "):
            continue
        # Like the real relay: a newline only between content, so blank lines alone leave nothing.
        if out:
            out += "\n"
        out += line.rstrip("\r")
    return out


def tls_context(conf):
    """Client context: TLS 1.2+, the client certificate, the CA bundle (or no verification at all when it holds
    nothing), host name checking only with a checkHost."""
    ca_pem = read_without_comments(conf["ca_file"])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if conf["cert"] or conf["key"]:
        ctx.load_cert_chain(conf["cert"], conf["key"] or None)
    if ca_pem:
        ctx.load_verify_locations(cadata=ca_pem)
        ctx.check_hostname = bool(conf["check_host"])
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        # Fails open, like the real relay: an empty CA file disables x509 verification.
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def verification(conf, ca_pem):
    if not ca_pem:
        return "certificate verification disabled (CA file %r holds no certificate)" % conf["ca_file"]
    if not conf["check_host"]:
        return "chain verified against %s, any host name accepted (no checkHost)" % conf["ca_file"]
    return "chain verified against %s, host name %s" % (conf["ca_file"], conf["check_host"])


# ---------------------------------------------------------------- relay


class Relay:
    def __init__(self, conf, tls, log):
        self.conf = conf
        self.tls = tls
        self.log = log
        self.ctx = tls_context(conf) if tls else None
        self.target = split_address(conf["connect"])
        self.listen = split_address(conf["accept"])

    def reload(self):
        """SIGHUP (the watchdog renewed the client certificate): read the TLS files again."""
        self.log("debug", "Received SIGHUP")
        if self.tls:
            self.ctx = tls_context(self.conf)

    async def open_target(self):
        host, port = self.target
        if not self.tls:
            return await asyncio.open_connection(host, port)
        server_name = self.conf["check_host"] or ""
        return await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=self.ctx, server_hostname=server_name),
            HANDSHAKE_TIMEOUT_SEC,
        )

    async def handle(self, client_reader, client_writer):
        try:
            target_reader, target_writer = await self.open_target()
        except (OSError, ssl.SSLError, asyncio.TimeoutError, ValueError) as exc:
            self.log(
                "warn", "Failed to establish an initial connection to EFS. Error: %s" % (exc or type(exc).__name__)
            )
            client_writer.close()
            return
        peer = target_writer.get_extra_info("peername")
        self.log("info", "Established new %s connection to %s" % ("TLS" if self.tls else "TCP", peer))
        pumps = [
            asyncio.ensure_future(pump(client_reader, target_writer)),
            asyncio.ensure_future(pump(target_reader, client_writer)),
        ]
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for task in pumps:
            task.cancel()
        for writer in (target_writer, client_writer):
            writer.close()
        self.log("info", "Connection to %s closed" % (peer,))

    async def serve(self, stop):
        host, port = self.listen
        server = await asyncio.start_server(self.handle, host, port, reuse_address=True)
        self.log("info", "Listening on %s:%d, relaying to %s:%d %s" % (host, port, *self.target, self.mode()))
        async with server:
            await stop.wait()

    def mode(self):
        if not self.tls:
            return "in plain text"
        return "over TLS, " + verification(self.conf, read_without_comments(self.conf["ca_file"]))


async def pump(reader, writer):
    try:
        while True:
            data = await reader.read(CHUNK)
            if not data:
                return
            writer.write(data)
            await writer.drain()
    except (OSError, ssl.SSLError):
        return


def write_pid_file(path):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("%d\n" % os.getpid())
    os.chmod(path, 0o644)


def remove_pid_file(path, log):
    try:
        os.remove(path)
        log("info", "Removed pid file")
    except FileNotFoundError:
        pass
    except OSError as exc:
        log("error", "Unable to remove pid_file: %s" % exc)


async def run(relay, pid_file):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGHUP, relay.reload)
    await relay.serve(stop)
    relay.log("info", "Received SIGTERM")
    remove_pid_file(pid_file, relay.log)


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    config_path, tls, _no_read_bypass = parse_args(argv[1:])
    try:
        conf = load_config(config_path)
    except (OSError, ConfigError, UnicodeDecodeError) as exc:
        sys.stderr.write("Failed to read configuration. %s\n" % exc)
        return 101
    log = Log(conf["output"], conf["level"])
    log("info", "Running with configuration: %r (tls=%s)" % (conf, tls))
    write_pid_file(conf["pid"])
    try:
        relay = Relay(conf, tls, log)
    except (OSError, ssl.SSLError, ConfigError) as exc:
        log("error", "Failed to obtain TLS config: %s" % exc)
        remove_pid_file(conf["pid"], log)
        return 101
    try:
        asyncio.run(run(relay, conf["pid"]))
    except OSError as exc:
        log("error", "Shutting down. %s" % exc)
        remove_pid_file(conf["pid"], log)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
