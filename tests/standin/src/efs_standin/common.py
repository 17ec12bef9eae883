"""Pieces shared by the stand-in mount helper and watchdog.

Paths are module attributes so host-side tests can point them at a temporary directory.
"""

from __future__ import annotations

import configparser
import datetime
import errno
import json
import logging
import os
import socket
import subprocess
import time
from logging.handlers import RotatingFileHandler

VERSION = "3.2.0"
SERVICE_NAME = "elasticfilesystem"
WATCHDOG_SERVICE = "amazon-efs-mount-watchdog"

CONFIG_FILE = "/etc/amazon/efs/efs-utils.conf"
LOG_DIR = "/var/log/amazon/efs"
STATE_FILE_DIR = "/var/run/efs"
PRIVATE_KEY_FILE = "/etc/amazon/efs/privateKey.pem"
DEFAULT_CAFILE = "/etc/amazon/efs/efs-utils.crt"

MOUNT_SECTION = "mount"
WATCHDOG_SECTION = "mount-watchdog"

# openssl's UTCTime layout, used for certificate dates and certificateCreationTime.
CERT_DATETIME_FORMAT = "%y%m%d%H%M%SZ"
NOT_BEFORE_MINS = 15
NOT_AFTER_HOURS = 3

# Key generation is shared between concurrent mounts; this file serialises it.
KEY_LOCK_NAME = "efs-utils-lock"


class HelperError(Exception):
    """A failure the helper reports to the user: message on stderr, exit status."""

    def __init__(self, message, exit_code=1, log_message=None):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.log_message = log_message or message


def read_config(path=None):
    parser = configparser.ConfigParser()
    parser.read(path or CONFIG_FILE)
    return parser


def config_bool(config, section, item, default, warn=True, out=None):
    """Boolean config value; a missing key falls back to the default with the helper's stdout warning."""
    missing = None
    if not config.has_section(section):
        missing = "Warning: config file does not have section %s." % section
    elif not config.has_option(section, item):
        missing = "Warning: config file does not have %s item in section %s." % (item, section)
    if missing:
        if warn and out is not None:
            out.write(
                "%s. You should be able to find a new config file in the same folder as current config file %s. "
                "Consider update the new config file to latest config file. Use the default value [%s = %s]."
                % (missing, CONFIG_FILE, item, default)
            )
        return default
    return config.getboolean(section, item)


def config_positive_int(config, section, item, default):
    """Integer config value; missing, malformed or < 1 gives the default (as the helper does)."""
    try:
        value = int(config.get(section, item))
    except (configparser.Error, ValueError):
        return default
    return value if value > 0 else default


LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


def bootstrap_logging(config, section, log_file, log_dir=None):
    raw_level = config.get(section, "logging_level", fallback="info")
    level = LEVELS.get(raw_level.lower())
    max_bytes = config.getint(section, "logging_max_bytes", fallback=1048576)
    file_count = config.getint(section, "logging_file_count", fallback=10)
    directory = log_dir or LOG_DIR
    os.makedirs(directory, exist_ok=True)
    handler = RotatingFileHandler(os.path.join(directory, log_file), maxBytes=max_bytes, backupCount=file_count)
    handler.setFormatter(
        logging.Formatter(fmt="%(asctime)s - %(levelname)s - %(message)s", datefmt="%Y-%m-%d %H:%M:%S %Z")
    )
    logger = logging.getLogger()
    logger.setLevel(level or logging.INFO)
    logger.addHandler(handler)
    if level is None:
        logging.error('Malformed logging level "%s", setting logging level to %s', raw_level, logging.INFO)
    return handler


def file_safe_mountpoint(mountpoint):
    """/mnt/efs -> mnt.efs: the mount point part of state file names."""
    return os.path.abspath(mountpoint).replace(os.sep, ".").lstrip(".")


def mount_filename(fs_id, mountpoint, port):
    return "%s.%s.%d" % (fs_id, file_safe_mountpoint(mountpoint), int(port))


def create_state_dir(config, directory):
    mode = 0o750
    raw = config.get(MOUNT_SECTION, "state_file_dir_mode", fallback=None)
    if raw is not None:
        try:
            mode = int(raw, 8)
        except ValueError:
            logging.warning('Bad state_file_dir_mode "%s" in config file "%s"', raw, CONFIG_FILE)
    os.makedirs(directory, mode, exist_ok=True)


def write_json(path, data):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle)


def rewrite_state_file(state, state_dir, state_file):
    """Write through a '~' temporary file and rename, so readers never see half a file."""
    tmp = os.path.join(state_dir, "~" + state_file)
    write_json(tmp, state)
    os.rename(tmp, os.path.join(state_dir, state_file))


def process_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % int(pid), "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except (OSError, ValueError, TypeError):
        return ""


def pid_alive(pid):
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
        return True
    except (OSError, ValueError):
        return False


def run(cmd, error_message, attempts=3):
    """Run an openssl-style command, retrying like the helper; raise HelperError when every attempt fails."""
    err = b""
    for dummy in range(attempts):
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, close_fds=True) as proc:
            out, err = proc.communicate()
        if proc.returncode == 0:
            return out
        logging.error('Command %s failed, rc=%s, stdout="%s", stderr="%s"', " ".join(cmd), proc.returncode, out, err)
    message = "%s, error is: %s" % (error_message, err)
    raise HelperError(message)


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def ensure_private_key(state_dir, key_path=None):
    """One RSA key shared by every mount (generating it is slow); a lock file guards concurrent mounts."""
    key = key_path or PRIVATE_KEY_FILE
    lock = os.path.join(state_dir, KEY_LOCK_NAME)
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_RDWR)
        except FileExistsError:
            logging.info("Failed to take out private key creation lock, sleeping %s (s)", 0.05)
            time.sleep(0.05)
            continue
        try:
            os.write(fd, ("PID: %s" % os.getpid()).encode())
            if os.path.isfile(key) and os.path.getsize(key) == 0:
                logging.warning("Purging empty private key file")
                os.remove(key)
            if not os.path.isfile(key):
                run(
                    ["openssl", "genpkey", "-algorithm", "RSA", "-out", key, "-pkeyopt", "rsa_keygen_bits:3072"],
                    "Failed to create private key",
                )
                os.chmod(key, 0o400)
        finally:
            os.close(fd)
            try:
                os.remove(lock)
            except OSError as exc:
                if exc.errno != errno.ENOENT:
                    raise
        return key


def render_openssl_config(mount_dir, key, common_name, fs_id, ap_id=None, access_key_id=None, client_source="unknown"):
    """An `openssl ca -selfsign` configuration: the client certificate carries the file system id (and access
    point / access key id) in the same private-enterprise OIDs the helper uses."""
    ext = ["subjectKeyIdentifier = hash"]
    if ap_id:
        ext.append("1.3.6.1.4.1.4843.7.1 = ASN1:UTF8String:%s" % ap_id)
    if access_key_id:
        ext.append("1.3.6.1.4.1.4843.7.2 = ASN1:SEQUENCE:client_auth")
    ext.append("1.3.6.1.4.1.4843.7.3 = ASN1:UTF8String:%s" % fs_id)
    ext.append("1.3.6.1.4.1.4843.7.4 = ASN1:SEQUENCE:client_info")
    lines = [
        "dir = %s" % mount_dir,
        "RANDFILE = $dir/database/.rand",
        "",
        "[ ca ]",
        "default_ca = standin_ca",
        "",
        "[ standin_ca ]",
        "database = $dir/database/index.txt",
        "serial = $dir/database/serial",
        "private_key = %s" % key,
        "cert = $dir/certificate.pem",
        "new_certs_dir = $dir/certs",
        "default_md = sha256",
        "preserve = no",
        "policy = any_cn",
        "x509_extensions = client_ext",
        "",
        "[ any_cn ]",
        "CN = supplied",
        "",
        "[ req ]",
        "prompt = no",
        "distinguished_name = dn",
        "",
        "[ dn ]",
        "CN = %s" % common_name,
        "",
        "[ client_ext ]",
    ] + ext
    if access_key_id:
        lines += ["", "[ client_auth ]", "accessKeyId = UTF8String:%s" % access_key_id]
    lines += [
        "",
        "[ client_info ]",
        "source = UTF8String:%s" % client_source,
        "efs_utils_version = UTF8String:%s" % VERSION,
        "",
    ]
    return "\n".join(lines)


def create_certificate(config, mount_state_dir, common_name, fs_id, state_dir, ap_id=None, access_key_id=None):
    """Self-signed client certificate valid from 15 minutes ago for 3 hours, under <state_dir>/<mount_state_dir>.
    Returns certificateCreationTime."""
    now = utc_now()
    mount_dir = os.path.join(state_dir, mount_state_dir)
    for sub in ("database", "certs"):
        if not os.path.isdir(os.path.join(mount_dir, sub)):
            create_state_dir(config, os.path.join(mount_dir, sub))
    seeds = {"index.txt": "", "index.txt.attr": "unique_subject = no", "serial": "00", ".rand": ""}
    for name, body in seeds.items():
        path = os.path.join(mount_dir, "database", name)
        if not os.path.isfile(path):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(body)
    key = ensure_private_key(state_dir)
    conf = os.path.join(mount_dir, "config.conf")
    csr = os.path.join(mount_dir, "request.csr")
    cert = os.path.join(mount_dir, "certificate.pem")
    source = config.get("client-info", "source", fallback="unknown") or "unknown"
    with open(conf, "w", encoding="utf-8") as handle:
        handle.write(render_openssl_config(mount_dir, key, common_name, fs_id, ap_id, access_key_id, source[:100]))
    run(
        ["openssl", "req", "-new", "-config", conf, "-key", key, "-out", csr],
        "Failed to create certificate signing request (csr)",
    )
    start = (now - datetime.timedelta(minutes=NOT_BEFORE_MINS)).strftime(CERT_DATETIME_FORMAT)
    end = (now + datetime.timedelta(hours=NOT_AFTER_HOURS)).strftime(CERT_DATETIME_FORMAT)
    if os.path.exists(cert):
        os.remove(cert)
    run(
        [
            "openssl",
            "ca",
            "-startdate",
            start,
            "-enddate",
            end,
            "-selfsign",
            "-batch",
            "-notext",
            "-config",
            conf,
            "-in",
            csr,
            "-out",
            cert,
        ],
        "Failed to create self-signed client-side certificate",
    )
    return now.strftime(CERT_DATETIME_FORMAT)


def hostname_common_name():
    return socket.gethostname()[0:64]
