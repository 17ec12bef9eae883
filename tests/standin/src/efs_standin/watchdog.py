"""amazon-efs-mount-watchdog stand-in.

Every poll_interval_sec: read the state files, restart a dead relay from the state file's `cmd`, renew client
certificates, run the periodic `df` health check, and retire the relay and state of a mount that is gone
(after 30 s of mount age, more than unmount_count_for_consistency consecutive misses, and then
unmount_grace_period_sec).
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time

from efs_standin import common

UNMOUNT_DIFF_TIME = 30
DEFAULT_UNMOUNT_COUNT_FOR_CONSISTENCY = 5
PID_FILE_WAIT_SEC = 10


def parse_options(text):
    opts = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        opts[key] = value if sep else None
    return opts


def local_nfs_mounts(mounts_text):
    """/proc/mounts text -> {'<safe mountpoint>.<port>': (server, mountpoint, type, options)} for 127.0.0.1 NFS."""
    mounts = {}
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) != 6:
            continue
        server, mountpoint, fstype, options = fields[:4]
        if not server.startswith("127.0.0.1") or "nfs" not in fstype:
            continue
        # The kernel hides port=2049; the helper's state files still carry it.
        port = parse_options(options).get("port") or "2049"
        mounts["%s.%s" % (common.file_safe_mountpoint(mountpoint), port)] = (server, mountpoint, fstype, options)
    return mounts


def state_files(state_dir):
    """{'<safe mountpoint>.<port>': 'fs-....<port>'}; '~' temporaries and directories are skipped."""
    found = {}
    if os.path.isdir(state_dir):
        for name in os.listdir(state_dir):
            if not name.startswith("fs-") or os.path.isdir(os.path.join(state_dir, name)):
                continue
            found[name[name.find(".") + 1 :]] = name
    return found


def tunnel_running(pid, state_file, state_dir):
    """Running iff the pid is a stunnel/efs-proxy process that is alive and matches the stunnel pid file (when
    there is one) in the mount's state directory."""
    if not pid:
        return False
    cmdline = common.process_cmdline(pid)
    if "stunnel" not in cmdline and "efs-proxy" not in cmdline:
        return False
    if not common.pid_alive(pid):
        return False
    pid_file = os.path.join(state_dir, state_file + "+", "stunnel.pid")
    try:
        with open(pid_file, encoding="utf-8") as handle:
            recorded = handle.read().strip()
    except OSError:
        return True
    if recorded and int(recorded) != int(pid):
        logging.warning(
            "Stunnel pid mismatch in state file (pid = %s) and stunnel pid file (pid = %s). Assuming the "
            "stunnel is not running.",
            pid,
            recorded,
        )
        return False
    return True


def signal_tunnel(pid, state_file, state_dir, sig):
    if tunnel_running(pid, state_file, state_dir):
        group = os.getpgid(pid)
        logging.info("Sending signal %s(%d) to stunnel. PID: %d, group ID: %s", sig.name, sig.value, pid, group)
        os.killpg(group, sig)
        return True
    logging.warning("TLS tunnel is not running for %s", state_file)
    return False


def start_tunnel(children, state, state_dir, state_file):
    command = state["cmd"]
    logging.info('Starting TLS tunnel: "%s"', " ".join(command))
    name = "efs-proxy" if any("efs-proxy" in part for part in command) else "stunnel"
    try:
        proc = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # pylint: disable=consider-using-with
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        logging.warning("Watchdog failed to start %s due to %s", name, exc)
        proc = None
    if proc is None or not common.pid_alive(proc.pid):
        logging.error("Failed to start %s.", name)
        sys.stderr.write("Failed to initialize %s for %s\n" % (name, state_file))
        return None
    logging.info("Started %s, pid: %d", name, proc.pid)
    children.append(proc)
    wait_for_pid_file(proc, os.path.join(state_dir, state_file + "+", "stunnel.pid"))
    return proc.pid


def wait_for_pid_file(proc, pid_file, timeout=PID_FILE_WAIT_SEC):
    """Until the new relay has written its pid file (or died), the old pid file still names the dead relay and
    the next poll would take the new one for dead too and start yet another. On real hardware stunnel writes it
    within milliseconds; under emulation it can take longer than a poll interval."""
    if not os.path.isdir(os.path.dirname(pid_file)):
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with open(pid_file, encoding="utf-8") as handle:
                if handle.read().strip() == str(proc.pid):
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def restart_tunnel(children, state, state_dir, state_file):
    if "certificate" in state and not os.path.exists(state["certificate"]):
        logging.error("Cannot restart stunnel because self-signed certificate at %s is missing", state["certificate"])
        return
    pid = start_tunnel(children, state, state_dir, state_file)
    if pid is None:
        return
    state["pid"] = pid
    logging.debug("Rewriting %s with new pid: %d", state_file, pid)
    common.rewrite_state_file(state, state_dir, state_file)


def clean_up(state_dir, state_file, pid, mount_state_dir=None):
    signal_tunnel(pid, state_file, state_dir, signal.SIGTERM)
    if tunnel_running(pid, state_file, state_dir):
        logging.info("TLS tunnel: %d is still running, will retry termination", pid)
        return
    if pid:
        logging.info("TLS tunnel: %d is no longer running, cleaning up state", pid)
    else:
        logging.info("TLS tunnel has been killed, cleaning up state")
    path = os.path.join(state_dir, state_file)
    with open(path, encoding="utf-8") as handle:
        state = json.load(handle)
    for name in state.get("files", []):
        try:
            os.remove(name)
        except FileNotFoundError:
            pass
    os.remove(path)
    if mount_state_dir:
        target = os.path.join(state_dir, mount_state_dir)
        if os.path.isdir(target):
            shutil.rmtree(target)


def renew_certificate(config, state, state_dir, state_file):
    """Re-issue the client certificate once it is older than tls_cert_renewal_interval_min (or missing) and
    SIGHUP the relay so it reloads it."""
    interval = common.config_positive_int(config, common.WATCHDOG_SECTION, "tls_cert_renewal_interval_min", 60) * 60
    created = datetime.datetime.strptime(state["certificateCreationTime"], common.CERT_DATETIME_FORMAT)
    age = (common.utc_now() - created.replace(tzinfo=datetime.timezone.utc)).total_seconds()
    if os.path.isfile(state["certificate"]) and age <= interval:
        return False
    logging.debug("Refreshing self-signed certificate (at %s)", state["certificate"])
    try:
        state["certificateCreationTime"] = common.create_certificate(
            config, state["mountStateDir"], state["commonName"], state["fsId"], state_dir, state.get("accessPoint")
        )
    except common.HelperError as exc:
        logging.error("Failed to renew certificate for %s: %s", state_file, exc.message)
        return False
    common.rewrite_state_file(state, state_dir, state_file)
    signal_tunnel(state.get("pid"), state_file, state_dir, signal.SIGHUP)
    return True


def health_check(config, state, state_dir, state_file, children, now):
    """`df` on the mount point every stunnel_health_check_interval_min; a hang past the timeout gets the relay
    SIGKILLed and restarted."""
    if not common.config_bool(config, common.WATCHDOG_SECTION, "stunnel_health_check_enabled", True, warn=False):
        return
    interval = common.config_positive_int(config, common.WATCHDOG_SECTION, "stunnel_health_check_interval_min", 5) * 60
    if now - state.get("mount_time", now) < interval:
        return
    last = state.get("last_stunnel_check_time", 0)
    if last and now - last < interval:
        return
    timeout = common.config_positive_int(
        config, common.WATCHDOG_SECTION, "stunnel_health_check_command_timeout_sec", 30
    )
    state["last_stunnel_check_time"] = now
    with subprocess.Popen(["df", state["mountpoint"]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        try:
            proc.communicate(timeout=timeout)
            common.rewrite_state_file(state, state_dir, state_file)
        except subprocess.TimeoutExpired:
            if signal_tunnel(state["pid"], state_file, state_dir, signal.SIGKILL):
                logging.warning(
                    "Connection timeout for %s after %d sec, SIGKILL has been sent to the potential unhealthy "
                    "stunnel %s, restarting a new stunnel process.",
                    state["mountpoint"],
                    timeout,
                    state["pid"],
                )
                restart_tunnel(children, state, state_dir, state_file)
            proc.kill()


def check_mounts(config, children, grace_sec, consistency, state_dir=None, mounts_file="/proc/mounts", now=None):
    state_dir = state_dir or common.STATE_FILE_DIR
    with open(mounts_file, encoding="utf-8") as handle:
        mounts = local_nfs_mounts(handle.read())
    for key, state_file in state_files(state_dir).items():
        path = os.path.join(state_dir, state_file)
        try:
            with open(path, encoding="utf-8") as handle:
                state = json.load(handle)
        except (OSError, ValueError):
            logging.exception("Unable to parse json in %s", path)
            continue
        current = time.time() if now is None else now
        if "unmount_time" in state:
            if state["unmount_time"] + grace_sec < current:
                logging.info("Unmount grace period expired for %s", state_file)
                clean_up(state_dir, state_file, state.get("pid"), state.get("mountStateDir"))
        elif key not in mounts:
            # Mounts younger than 30 s may not be in /proc/mounts yet.
            if current - state.get("mount_time", 0) > UNMOUNT_DIFF_TIME:
                if state.get("unmount_count", 0) > consistency:
                    logging.info('No mount found for "%s"', state_file)
                    state["unmount_time"] = current
                else:
                    state["unmount_count"] = state.get("unmount_count", 0) + 1
                common.rewrite_state_file(state, state_dir, state_file)
        else:
            state["unmount_count"] = 0
            common.rewrite_state_file(state, state_dir, state_file)
            if "certificate" in state:
                renew_certificate(config, state, state_dir, state_file)
            if tunnel_running(state.get("pid"), state_file, state_dir):
                health_check(config, state, state_dir, state_file, children, current)
            else:
                logging.warning("TLS tunnel for %s is not running", state_file)
                restart_tunnel(children, state, state_dir, state_file)


def reap_children(children):
    for proc in list(children):
        if proc.poll() is not None:
            logging.warning("Child TLS tunnel process %d has exited, returncode=%d", proc.pid, proc.returncode)
            children.remove(proc)


def forget_dead_pids(state_dir):
    """At start: a pid that is no longer a relay is dropped, so the first poll restarts the tunnel."""
    for state_file in state_files(state_dir).values():
        path = os.path.join(state_dir, state_file)
        try:
            with open(path, encoding="utf-8") as handle:
                state = json.load(handle)
        except (OSError, ValueError):
            continue
        if "pid" not in state:
            continue
        cmdline = common.process_cmdline(state["pid"])
        if "stunnel" in cmdline or "efs-proxy" in cmdline:
            continue
        state.pop("pid")
        common.rewrite_state_file(state, state_dir, state_file)


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    if "-h" in argv[1:] or "--help" in argv[1:]:
        sys.stdout.write("Usage: %s [--version] [-h|--help]\n" % argv[0])
        return 0
    if "--version" in argv[1:]:
        sys.stdout.write("%s Version: %s\n" % (argv[0], common.VERSION))
        return 0
    if os.geteuid() != 0:
        sys.stderr.write("only root can run amazon-efs-mount-watchdog\n")
        return 1
    config = common.read_config()
    common.bootstrap_logging(config, common.WATCHDOG_SECTION, "mount-watchdog.log")
    if not common.config_bool(config, common.WATCHDOG_SECTION, "enabled", True, out=sys.stdout):
        logging.info("amazon-efs-mount-watchdog is not enabled")
        return 0
    logging.info("amazon-efs-mount-watchdog, version %s, is enabled and started", common.VERSION)
    poll = config.getint(common.WATCHDOG_SECTION, "poll_interval_sec", fallback=1)
    consistency = config.getint(
        common.WATCHDOG_SECTION, "unmount_count_for_consistency", fallback=DEFAULT_UNMOUNT_COUNT_FOR_CONSISTENCY
    )
    grace = config.getint(common.WATCHDOG_SECTION, "unmount_grace_period_sec", fallback=30)
    forget_dead_pids(common.STATE_FILE_DIR)
    try:
        os.remove(os.path.join(common.STATE_FILE_DIR, common.KEY_LOCK_NAME))
    except OSError:
        pass
    children = []
    while True:
        config = common.read_config()
        try:
            check_mounts(config, children, grace, consistency)
        except OSError:
            logging.exception("Watchdog poll failed")
        reap_children(children)
        time.sleep(poll)
