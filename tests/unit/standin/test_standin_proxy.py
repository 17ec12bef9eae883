"""The stand-in efs-proxy: invocation, config, and real TLS (chain, host name, failing open) against a local server."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest

from efs_standin import common, mount, proxy, watchdog

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "standin", "src"))
NAME = "fs-12345678.efs.us-east-1.amazonaws.com"
LAUNCH = "import sys; sys.path.insert(0, %r); from efs_standin import proxy; sys.exit(proxy.main(sys.argv))" % SRC

# openssl is a setup.sh package: missing, the tests fail naming it (conftest.real_tools checks it too).
needs_openssl = pytest.mark.usefixtures("openssl_tool")


# ---------------------------------------------------------------- arguments, config, CA file


def test_arguments_like_the_real_relay():
    assert proxy.parse_args(["/var/run/efs/stunnel-config.x", "--tls", "--no-direct-s3-read"]) == (
        "/var/run/efs/stunnel-config.x",
        True,
        True,
    )
    assert proxy.parse_args(["c"]) == ("c", False, False)
    for bad in (["c", "--verbose"], [], ["a", "b"]):
        with pytest.raises(SystemExit) as exc:
            proxy.parse_args(bad)
        assert exc.value.code == 2


def test_reads_the_config_the_helper_writes(shipped_config, tmp_path):
    ctx = {
        "fs_id": "fs-12345678",
        "mountpoint": "/mnt/efs",
        "port": 20311,
        "dns_name": NAME,
        "fallback_ip": None,
        "options": {"tls": None, "cafile": "/etc/hostname"},
        "region": "us-east-1",
        "state_dir": "/var/run/efs",
        "cert": {"certificate": "/var/run/efs/x+/certificate.pem", "privateKey": "/etc/amazon/efs/privateKey.pem"},
    }
    path = tmp_path / "stunnel-config.fs-12345678.mnt.efs.20311"
    path.write_text(mount.render_tunnel_config(*mount.tunnel_config(shipped_config, ctx, [], False, environ={})))
    conf = proxy.load_config(str(path))
    assert conf["accept"] == "127.0.0.1:20311" and conf["connect"] == NAME + ":2049"
    assert conf["pid"] == "/var/run/efs/fs-12345678.mnt.efs.20311+/stunnel.pid"
    assert (conf["ca_file"], conf["check_host"], conf["fips"]) == ("/etc/hostname", NAME, False)
    assert conf["cert"] == "/var/run/efs/x+/certificate.pem" and conf["fs_id"] == "fs-12345678"
    assert conf["output"] is None and conf["level"] == "warn"


def test_missing_required_keys_fail_like_the_real_parser(tmp_path):
    path = tmp_path / "conf"
    path.write_text("fips = no\n[efs]\naccept = 127.0.0.1:1\nconnect = x:2049\n")
    with pytest.raises(proxy.ConfigError, match="pid"):
        proxy.load_config(str(path))
    path.write_text("pid = /p\n[efs]\naccept = 127.0.0.1:1\nconnect = x:2049\n")
    with pytest.raises(proxy.ConfigError, match="fips"):
        proxy.load_config(str(path))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", ""),
        ("# Amazon's bundle\n# another comment\n", ""),
        ("\n\n", ""),
        ("# c\n-----BEGIN X-----\r\nAAA\n-----END X-----\n", "-----BEGIN X-----\nAAA\n-----END X-----"),
        ("#no-space stays\n", "#no-space stays"),
        (" \n", " "),
        ("# c\n\xff\xfe\n-----BEGIN X-----\n", ""),
    ],
)
def test_ca_file_comments_are_dropped_as_upstream_does(tmp_path, text, expected):
    path = tmp_path / "ca"
    path.write_bytes(text.encode("latin-1"))
    assert proxy.read_without_comments(str(path)) == expected


def test_boot_hook_runs_only_in_the_interpreter_named_efs_proxy():
    sys.path.insert(0, SRC)
    try:
        import efs_standin_proxy_boot as boot  # pylint: disable=import-outside-toplevel,import-error
    finally:
        sys.path.remove(SRC)
    assert boot.is_relay("/usr/bin/efs-proxy") and boot.is_relay("/sbin/efs-proxy")
    assert not boot.is_relay(sys.executable) and not boot.is_relay("/usr/bin/efs-proxy.standin-new")


def test_helper_starts_efs_proxy_like_3_2_0(helper_cmd):
    assert helper_cmd(["tls"])[1:] == ["CONFIG", "--tls", "--no-direct-s3-read"]
    assert helper_cmd([])[1:] == ["CONFIG", "--no-direct-s3-read"]


@pytest.fixture
def helper_cmd(monkeypatch):
    def build(opts):
        monkeypatch.setattr(mount, "efs_proxy_bin", lambda: "/usr/bin/efs-proxy")
        options = {o: None for o in opts}
        return mount.relay_command(False, None, "CONFIG", options)

    return build


# ---------------------------------------------------------------- real TLS


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """A test CA with server certificates for the file system's name and for another name, an untrusted CA with
    a certificate for the right name, and a client certificate (EC keys: fast)."""
    d = tmp_path_factory.mktemp("pki")

    def key(name):
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(d / name))
        return str(d / name)

    def ca(name):
        openssl(
            "req", "-x509", "-new", "-key", key(name + ".key"), "-subj", "/CN=" + name, "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
            "-out", str(d / (name + ".pem")),
        )  # fmt: skip

    def leaf(name, cn, issuer):
        openssl("req", "-new", "-key", key(name + ".key"), "-subj", "/CN=" + cn, "-out", str(d / (name + ".csr")))
        ext = d / (name + ".ext")
        ext.write_text("subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n" % cn)
        openssl(
            "x509", "-req", "-in", str(d / (name + ".csr")), "-CA", str(d / (issuer + ".pem")),
            "-CAkey", str(d / (issuer + ".key")), "-CAcreateserial", "-days", "1", "-extfile", str(ext),
            "-out", str(d / (name + ".pem")),
        )  # fmt: skip

    ca("ca")
    ca("rogue-ca")
    leaf("server", NAME, "ca")
    leaf("other-name", "fs-87654321.efs.us-east-1.amazonaws.com", "ca")
    leaf("rogue", NAME, "rogue-ca")
    leaf("client", "client", "ca")
    (d / "comments-only.crt").write_text("# Amazon's CA bundle goes here\n# (none in this file)\n")
    (d / "empty.crt").write_text("")
    (d / "garbage.crt").write_text("not a certificate\n")
    return d


class EchoServer:
    """A mount target stand-in: echoes what it reads, over TLS with the given certificate or in plain text."""

    def __init__(self, pki=None, cert=None):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.ctx = None
        self.versions = []
        if cert:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(str(pki / (cert + ".pem")), str(pki / (cert + ".key")))
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            try:
                conn, dummy = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.echo, args=(conn,), daemon=True).start()

    def echo(self, conn):
        try:
            if self.ctx:
                conn = self.ctx.wrap_socket(conn, server_side=True)
                self.versions.append(conn.version())
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                conn.sendall(data)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def close(self):
        self.sock.close()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RelayProc:
    def __init__(self, tmp_path, pki, target_port, tls=True, ca="ca.pem", check_host=NAME, log=False):
        self.port = free_port()
        tmp_path = tmp_path / str(self.port)
        tmp_path.mkdir()
        self.pid_file = tmp_path / "stunnel.pid"
        self.log = tmp_path / "efs-proxy.log"
        lines = ["fips = no", "foreground = yes", "pid = %s" % self.pid_file]
        if log:
            lines += ["debug = debug", "output = %s" % self.log]
        lines += ["[efs]", "accept = 127.0.0.1:%d" % self.port, "connect = 127.0.0.1:%d" % target_port]
        if tls:
            lines += ["verify = 2", "cert = %s" % (pki / "client.pem"), "key = %s" % (pki / "client.key")]
            if ca is not None:
                lines.append("CAfile = %s" % (pki / ca))
            if check_host is not None:
                lines.append("checkHost = %s" % check_host)
        self.config = tmp_path / ("stunnel-config.fs-12345678.mnt.efs.%d" % self.port)
        self.config.write_text("\n".join(lines))
        argv = [sys.executable, "-c", LAUNCH, str(self.config)] + (["--tls"] if tls else []) + ["--no-direct-s3-read"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)

    def wait_listening(self):
        for dummy in range(100):
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def round_trip(self, payload=b"NFS record\x80\x00"):
        """What comes back through the relay: the echo, or b'' when the relay closed the connection."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(payload)
            got = b""
            while len(got) < len(payload):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                got += chunk
            return got

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout=10)


@pytest.fixture
def relay(tmp_path, pki):
    started = []

    def start(cert="server", **kwargs):
        server = EchoServer(pki, cert)
        proc = RelayProc(tmp_path, pki, server.port, **kwargs)
        started.append((proc, server))
        return proc, server

    yield start
    for proc, server in started:
        proc.stop()
        server.close()


@needs_openssl
def test_verified_tls_relay_carries_data(relay):
    proc, server = relay(log=True)
    assert proc.wait_listening(), proc.proc.stderr.read()
    assert proc.round_trip(b"x" * 200000) == b"x" * 200000
    assert server.versions and server.versions[0] in ("TLSv1.2", "TLSv1.3")
    assert int(proc.pid_file.read_text()) == proc.proc.pid and proc.pid_file.read_text().endswith("\n")
    assert "chain verified against" in proc.log.read_text() and "host name %s" % NAME in proc.log.read_text()


@needs_openssl
@pytest.mark.parametrize(
    "cert, kwargs, why",
    [
        ("rogue", {}, "certificate verify failed"),
        ("other-name", {}, "Hostname mismatch"),
        ("server", {"ca": "rogue-ca.pem"}, "certificate verify failed"),
    ],
)
def test_untrusted_or_misnamed_target_gets_no_data(relay, cert, kwargs, why):
    proc, dummy = relay(cert, log=True, **kwargs)
    assert proc.wait_listening()
    assert proc.round_trip() == b""
    assert why in proc.log.read_text()


@needs_openssl
@pytest.mark.parametrize("ca", ["comments-only.crt", "empty.crt", None])
def test_ca_file_without_certificates_fails_open_as_upstream(relay, ca):
    """Upstream efs-proxy turns x509 verification off when the CA file holds nothing (or there is none, verify=0):
    a target with a certificate from an unknown CA, for another name, is accepted."""
    proc, dummy = relay("rogue", ca=ca, check_host="fs-87654321.efs.us-east-1.amazonaws.com", log=True)
    assert proc.wait_listening()
    assert proc.round_trip() == b"NFS record\x80\x00"
    assert "certificate verification disabled" in proc.log.read_text()


@needs_openssl
@pytest.mark.parametrize("check_host", ["", None])
def test_empty_check_host_accepts_any_name_but_still_checks_the_chain(relay, check_host):
    proc, dummy = relay("other-name", check_host=check_host)
    assert proc.wait_listening()
    assert proc.round_trip() == b"NFS record\x80\x00"
    proc2, dummy = relay("rogue", check_host=check_host)
    assert proc2.wait_listening()
    assert proc2.round_trip() == b""


@needs_openssl
def test_ca_file_that_is_not_pem_fails_closed(relay):
    proc, dummy = relay(ca="garbage.crt")
    assert not proc.wait_listening()
    assert proc.proc.returncode == 101
    assert b"Failed to obtain TLS config" in proc.proc.stderr.read()


@needs_openssl
def test_without_tls_it_relays_plain_text(relay):
    proc, server = relay(cert=None, tls=False)
    assert proc.wait_listening()
    assert proc.round_trip() == b"NFS record\x80\x00"
    assert not server.versions


@needs_openssl
def test_sighup_reloads_and_sigterm_removes_the_pid_file(relay):
    proc, dummy = relay()
    assert proc.wait_listening()
    os.kill(proc.proc.pid, signal.SIGHUP)
    time.sleep(0.2)
    assert proc.proc.poll() is None
    assert proc.round_trip() == b"NFS record\x80\x00"
    assert proc.stop() == 0
    assert not proc.pid_file.exists()


def test_watchdog_restarts_a_dead_efs_proxy(shipped_config, tmp_path):
    """The watchdog knows the relay by `efs-proxy` in its argv, restarts it from the state file's cmd and records
    the new pid; the new relay writes the pid file the watchdog compares with and carries traffic again."""
    server = EchoServer()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(sys.executable, bindir / "efs-proxy")
    state_dir = tmp_path / "run"
    (state_dir / "fs-1.mnt.efs.20529+").mkdir(parents=True)
    port = free_port()
    config = state_dir / "stunnel-config.fs-1.mnt.efs.20529"
    pid_file = state_dir / "fs-1.mnt.efs.20529+" / "stunnel.pid"
    config.write_text(
        "fips = no\npid = %s\n[efs]\naccept = 127.0.0.1:%d\nconnect = 127.0.0.1:%d\n" % (pid_file, port, server.port)
    )
    cmd = [str(bindir / "efs-proxy"), "-c", LAUNCH, str(config), "--no-direct-s3-read"]
    state = {"pid": 999999999, "cmd": cmd, "files": [str(config)], "mount_time": time.time() - 100}
    state.update(mountpoint="/mnt/efs", service_type="elasticfilesystem")
    (state_dir / "fs-1.mnt.efs.20529").write_text(json.dumps(state))
    mounts = tmp_path / "mounts"
    mounts.write_text("127.0.0.1:/ /mnt/efs nfs4 rw,vers=4.1,port=20529,addr=127.0.0.1 0 0\n")
    children = []
    try:
        pids = []
        for dummy in range(2):
            watchdog.check_mounts(shipped_config, children, 30, 5, str(state_dir), str(mounts))
            pid = json.loads((state_dir / "fs-1.mnt.efs.20529").read_text())["pid"]
            assert pid == children[-1].pid and pid not in pids
            assert "efs-proxy" in common.process_cmdline(pid)
            assert pid_file.read_text() == "%d\n" % pid
            assert watchdog.tunnel_running(pid, "fs-1.mnt.efs.20529", str(state_dir))
            # The relay writes its pid file before it listens (as upstream's does): wait for the listener.
            for dummy in range(100):
                try:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                    break
                except ConnectionRefusedError:
                    time.sleep(0.1)
            with sock:
                sock.sendall(b"ping")
                assert sock.recv(16) == b"ping"
            pids.append(pid)
            os.kill(pid, signal.SIGKILL)
            children[-1].wait(timeout=10)
        assert len(children) == 2
    finally:
        for proc in children:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        server.close()
