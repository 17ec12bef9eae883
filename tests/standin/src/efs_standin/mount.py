"""mount.efs stand-in: amazon-efs-utils 3.2.0.

Invoked by mount(8) as `mount.efs fs-id[:/path] /mnt/x -o opts`. As in 2.x/3.x every mount goes through the local
efs-proxy relay (`efs-proxy <config> [--tls] --no-direct-s3-read`), TLS or not; TLS mounts with the `stunnel` option
(or with OCSP enabled) go through a local stunnel client instead, and non-TLS mounts with `stunnel` go straight to
the mount target. When efs-proxy is missing, mounts that need it fail the way the real helper does.
"""

from __future__ import annotations

import configparser
import json
import logging
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from efs_standin import common

FS_ID_RE = re.compile(r"^(?P<fs_id>fs-[0-9a-f]+)$")
AP_ID_RE = re.compile(r"^fsap-[0-9a-f]{17}$")
REGION_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")
FQDN_RE = re.compile(
    r"^((?P<az>[a-z0-9-]+)\.)?(?P<fs_id>fs-[0-9a-f]+)\.(?:[a-z-]+\.)+(?P<region>[a-z0-9-]+)\.(?P<dns_name_suffix>[a-z0-9.-]+)$"
)

# Helper-only options: never passed to mount.nfs4.
NON_NFS_OPTIONS = frozenset(
    [
        "accesspoint",
        "awscredsuri",
        "awsprofile",
        "az",
        "azid",
        "cafile",
        "iam",
        "mounttargetip",
        "netns",
        "noocsp",
        "notls",
        "ocsp",
        "region",
        "tls",
        "tlsport",
        "verify",
        "rolearn",
        "jwtpath",
        "crossaccount",
        "stunnel",
        "nodirects3read",
        "nos3readcache",
    ]
)
UNSUPPORTED_OPTIONS = ("capath", "azid")

STUNNEL_GLOBAL = (("fips", "no"), ("foreground", "yes"), ("socket", ["l:SO_REUSEADDR=yes", "a:SO_BINDTODEVICE=lo"]))
STUNNEL_EFS = (
    ("client", "yes"),
    ("accept", "127.0.0.1:%s"),
    ("connect", "%s:2049"),
    ("sslVersion", "TLSv1.2"),
    ("renegotiation", "no"),
    ("TIMEOUTbusy", "20"),
    ("TIMEOUTclose", "0"),
    ("TIMEOUTidle", "70"),
    ("delay", "yes"),
)
RETRYABLE_ERRORS = ("reset by peer",)
TLS_CONTROLS_MESSAGE = (
    "WARNING: Your client lacks sufficient controls to properly enforce TLS. Please upgrade stunnel, "
    'or disable "%s" in '
    + common.CONFIG_FILE
    + ".\nSee https://docs.aws.amazon.com/console/efs/troubleshooting-tls for more detail."
)
SEARCH_PATH = "/sbin:/usr/sbin:/usr/local/sbin:/root/bin:/usr/local/bin:/usr/bin:/bin"
IMDS_TOKEN_URL = "http://169.254.169.254/latest/api/token"
IMDS_IDENTITY_URL = "http://169.254.169.254/latest/dynamic/instance-identity/document/"
IMDS_AZ_ID_URL = "http://169.254.169.254/latest/meta-data/placement/availability-zone-id"

Error = common.HelperError


# ---------------------------------------------------------------- options


def parse_options(text):
    """'a,b=c' -> {'a': None, 'b': 'c'}; split on ',' with no trimming, like the helper."""
    opts = {}
    for item in text.split(","):
        if "=" in item:
            key, value = item.split("=", 1)
            opts[key] = value
        else:
            opts[item] = None
    return opts


def parse_arguments(args):
    """argv -> (device, mountpoint, options, fake). Raises Error with the usage line when incomplete."""
    device = args[1] if len(args) > 1 else None
    mountpoint = args[2] if len(args) > 2 else None
    options = {}
    if len(args) > 4 and "-o" in args[:-1]:
        options = parse_options(args[args.index("-o") + 1])
    fake = "-f" in args[3:]
    if not device or not mountpoint:
        raise Error("Usage: mount.efs [--version] [-h|--help] <fsname> <mountpoint> [-o <options>]")
    return device, mountpoint, options, fake


def check_unsupported_options(options):
    found = [o for o in UNSUPPORTED_OPTIONS if o in options]
    if found:
        raise Error("Unsupported mount options detected: %s" % ", ".join('"%s"' % o for o in found))


def check_options_validity(options):
    """The helper's rejection matrix, in its order; the first failure wins."""
    if "tls" in options:
        if "port" in options:
            raise Error('The "port" and "tls" options are mutually exclusive')
        if "tlsport" in options:
            try:
                int(options["tlsport"])
            except (TypeError, ValueError):
                raise Error("tlsport option [%s] is not an integer" % options["tlsport"]) from None
        if "ocsp" in options and "noocsp" in options:
            raise Error('The "ocsp" and "noocsp" options are mutually exclusive')
        if "notls" in options:
            raise Error('The "tls" and "notls" options are mutually exclusive')
    if "accesspoint" in options:
        if "tls" not in options:
            raise Error('The "tls" option is required when mounting via "accesspoint"')
        if not AP_ID_RE.match(options["accesspoint"] or ""):
            raise Error("Access Point ID %s is malformed" % options["accesspoint"])
    if "iam" in options and "tls" not in options:
        raise Error('The "tls" option is required when mounting via "iam"')
    if "awsprofile" in options and "iam" not in options:
        raise Error('The "iam" option is required when mounting with named profile option, "awsprofile"')
    if "awscredsuri" in options:
        if "iam" not in options:
            raise Error('The "iam" option is required when mounting with "awscredsuri"')
        if "awsprofile" in options:
            raise Error('The "awscredsuri" and "awsprofile" options are mutually exclusive')
        if not (options["awscredsuri"] or "").startswith("/"):
            raise Error("awscredsuri %s is malformed" % options["awscredsuri"])


def check_dns_options(options):
    # The real helper reaches this check only after looking up the AZ id for crossaccount; checking first keeps
    # the rejection visible where there is no instance metadata.
    if "mounttargetip" in options and "crossaccount" in options:
        raise Error("mounttargetip option is incompatible with crossaccount option.")


def ocsp_enabled(config, options):
    if "ocsp" in options:
        return True
    if "noocsp" in options:
        return False
    return common.config_bool(config, common.MOUNT_SECTION, "stunnel_check_cert_validity", False, warn=False)


def stunnel_mode(config, options):
    """3.2.0 uses stunnel only with the `stunnel` option or OCSP; otherwise efs-proxy."""
    return "stunnel" in options or ocsp_enabled(config, options)


def nfs_mount_options(options, stunnel):
    """Defaults the helper adds, then every option that is not the helper's own, in order."""
    opts = dict(options)
    if "nfsvers" not in opts and "vers" not in opts:
        opts["nfsvers"] = "4.1"
    opts.setdefault("rsize", "1048576")
    opts.setdefault("wsize", "1048576")
    if "soft" not in opts and "hard" not in opts:
        opts["hard"] = None
    opts.setdefault("timeo", "600")
    opts.setdefault("retrans", "2")
    opts.setdefault("noresvport", None)
    # Non-TLS mounts in stunnel mode talk to the mount target's own port.
    if not stunnel or "tls" in opts:
        opts["port"] = opts["tlsport"]
    return ",".join(k if v is None else "%s=%s" % (k, v) for k, v in opts.items() if k not in NON_NFS_OPTIONS)


# ---------------------------------------------------------------- region and names


def config_section(config, region):
    section = "%s.%s" % (common.MOUNT_SECTION, region)
    return section if config.has_section(section) else common.MOUNT_SECTION


def mount_config(config, region, item):
    section = config_section(config, region)
    if config.has_option(section, item):
        return config.get(section, item)
    if config.has_option(common.MOUNT_SECTION, item):
        return config.get(common.MOUNT_SECTION, item)
    raise Error("Error retrieving config. Please set the %s configuration in efs-utils.conf" % item)


def imds_get(url, timeout=1.0):
    """One IMDSv2 try, then v1; None on any failure. Off EC2 this fails at once (no route) or after the timeout."""
    headers = {}
    try:
        req = urllib.request.Request(
            IMDS_TOKEN_URL, method="PUT", headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"}
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            headers["X-aws-ec2-metadata-token"] = resp.read().decode()
    except (OSError, urllib.error.URLError, ValueError):
        pass
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as resp:
            body = resp.read().decode()
    except (OSError, urllib.error.URLError, ValueError) as exc:
        logging.debug("Unable to reach %s: %s", url, exc)
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body


def target_region(config, options, environ=None, imds=None):
    """Mount option, AWS_REGION, AWS_DEFAULT_REGION, config [mount] region, instance metadata, else fatal."""
    environ = os.environ if environ is None else environ
    if "region" in options:
        region = options["region"] or ""
        if not REGION_RE.fullmatch(region):
            raise Error('Invalid "region" mount option specified: %r' % region)
        return region
    env_region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if env_region:
        return env_region
    if config.has_option(common.MOUNT_SECTION, "region"):
        return config.get(common.MOUNT_SECTION, "region")
    doc = (imds or imds_get)(IMDS_IDENTITY_URL)
    if isinstance(doc, dict) and doc.get("region"):
        return doc["region"]
    logging.warning(
        'Region not found in config file and metadata service call failed, falling back to legacy "dns_name_format" check'
    )
    fmt = config.get(common.MOUNT_SECTION, "dns_name_format", fallback="")
    if "{region}" not in fmt:
        parts = fmt.split(".")
        if "{dns_name_suffix}" in fmt and len(parts) > 1:
            return parts[-2]
        if "amazonaws.com" in fmt and len(parts) > 2:
            return parts[-3]
    raise Error(
        'Error retrieving region. Please set the "region" parameter in the efs-utils configuration file or specify it as a mount option.',
        log_message="Cannot retrieve region from instance_metadata. Please set the 'region' parameter in the efs-utils configuration file.",
    )


def dns_name(config, fs_id, options, environ=None, imds=None):
    """The mount target name from dns_name_format (az, fs_id, region, dns_name_suffix)."""
    if "crossaccount" in options:
        az_id = (imds or imds_get)(IMDS_AZ_ID_URL)
        if not isinstance(az_id, str) or not az_id:
            raise Error(
                "Cannot retrieve AZ-ID from metadata service. This is required for the crossaccount mount option."
            )
        region = target_region(config, options, environ, imds)
        return "%s.%s.efs.%s.%s" % (az_id, fs_id, region, mount_config(config, region, "dns_name_suffix"))
    fmt = config.get(common.MOUNT_SECTION, "dns_name_format", fallback="{az}.{fs_id}.efs.{region}.{dns_name_suffix}")
    if "{fs_id}" not in fmt:
        raise Error("DNS name format must include {fs_id}")
    args = {"fs_id": fs_id}
    if "{az}" in fmt:
        if options.get("az"):
            args["az"] = options["az"]
        else:
            fmt = fmt.replace("{az}.", "")
    region = None
    if "{region}" in fmt:
        region = target_region(config, options, environ, imds)
        args["region"] = region
    if "{dns_name_suffix}" in fmt:
        region = region or target_region(config, options, environ, imds)
        args["dns_name_suffix"] = mount_config(config, region, "dns_name_suffix")
    if fmt.count("{") != len(args) or fmt.count("}") != len(args):
        raise Error("DNS name format has an incorrect number of replacement fields")
    return fmt.format(**args)


def match_device(config, device, options):
    """fs-id[:/path] or a DNS name resolving to one -> (fs_id, path, az)."""
    remote, dummy, path = device.partition(":")
    path = path or "/"
    if FS_ID_RE.match(remote):
        return remote, path, None
    try:
        infos = socket.getaddrinfo(remote, None, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
    except socket.gaierror:
        raise Error(
            'Failed to resolve "%s" - check that the specified DNS name is a CNAME record resolving to a valid EFS DNS name'
            % remote,
            log_message='Failed to resolve "%s"' % remote,
        ) from None
    hostnames = sorted({i[3] for i in infos if i[3]}) or [remote]
    for hostname in hostnames:
        found = FQDN_RE.match(hostname)
        if not found:
            continue
        az = found.group("az")
        if az and "az" in options and az != options["az"]:
            raise Error(
                'The hostname "%s" resolved by the specified domain name "%s" does not match the az provided in the '
                "mount options, expected = %s, given = %s" % (hostname, remote, options["az"], az)
            )
        with_az = dict(options)
        if az:
            with_az.setdefault("az", az)
        if hostname == dns_name(config, found.group("fs_id"), with_az):
            return found.group("fs_id"), path, az
    raise Error(
        'The specified CNAME "%s" did not resolve to a valid DNS name for an EFS mount target. Please refer to the EFS '
        "documentation for mounting with DNS names for examples: "
        "https://docs.aws.amazon.com/efs/latest/ug/mounting-fs-mount-cmd-dns-name.html" % remote
    )


def resolve_target(config, fs_id, options):
    """-> (dns_name, fallback_ip). No botocore here, so the mount-target-IP fallback always fails like a
    helper without botocore does."""
    check_dns_options(options)
    name = dns_name(config, fs_id, options)
    if "mounttargetip" in options:
        ip = options["mounttargetip"]
        logging.info("Use the mount target ip address %s provided in the mount options to mount.", ip)
        if not target_reachable(ip):
            raise Error("Cannot connect to file system mount target ip address %s. " % ip)
        return name, ip
    try:
        if socket.getaddrinfo(name, None, socket.AF_UNSPEC):
            return name, None
    except socket.gaierror:
        pass
    logging.info("Failed to resolve %s, attempting to lookup mount target ip address using botocore.", name)
    if common.config_bool(
        config, common.MOUNT_SECTION, "fall_back_to_mount_target_ip_address_enabled", True, warn=False
    ):
        reason = "Failed to import necessary dependency botocore, please install botocore first."
    else:
        reason = "Fallback to mount target ip address feature is not enabled in config file %s." % common.CONFIG_FILE
    raise Error(
        'Failed to resolve "%s" - check that your file system ID is correct, and ensure that the VPC has an EFS mount '
        "target for this file system ID.\nSee https://docs.aws.amazon.com/console/efs/mount-dns-name for more detail."
        "\nAttempting to lookup mount target ip address using botocore. %s" % (name, reason)
    )


def target_reachable(ip, tries=3):
    for attempt in range(tries):
        try:
            with socket.create_connection((ip, 2049), timeout=2):
                return True
        except socket.timeout:
            if attempt < tries - 1:
                time.sleep(0.5)
        except OSError:
            return False
    return False


# ---------------------------------------------------------------- ports and files


def port_range(config):
    lower = config.getint(common.MOUNT_SECTION, "port_range_lower_bound", fallback=20049)
    upper = config.getint(common.MOUNT_SECTION, "port_range_upper_bound", fallback=21049)
    if lower >= upper:
        raise Error(
            'Configuration option "port_range_upper_bound" defined as %d must be strictly greater than '
            '"port_range_lower_bound" defined as %d.' % (upper, lower)
        )
    return lower, upper


def port_reserved(state_dir, port):
    """A state file (or its '~' temporary) ending in .<port> reserves that port, stale or not."""
    if not os.path.isdir(state_dir):
        return None
    for name in os.listdir(state_dir):
        if name.endswith(".%s" % port):
            return name
    return None


def choose_port(config, options, state_dir, shuffle=random.shuffle):
    """Bind a free, unreserved port and return the bound socket (closed once the state file reserves it)."""
    if "tlsport" in options:
        candidates = [int(options["tlsport"])]
    else:
        lower, upper = port_range(config)
        candidates = list(range(lower, upper))
        shuffle(candidates)
    sock = socket.socket()
    for port in candidates:
        owner = port_reserved(state_dir, port)
        if owner:
            logging.debug("Skip binding TLS port %s as it is already assigned to %s", port, owner)
            continue
        try:
            logging.info("binding %s", port)
            sock.bind(("localhost", port))
            return sock
        except OSError as exc:
            logging.warning(exc)
    sock.close()
    if "tlsport" in options:
        raise Error("Specified port [%s] is unavailable. Try selecting a different port." % options["tlsport"])
    raise Error(
        "Failed to locate an available port in the range [%d, %d], try specifying a different port range in %s"
        % (lower, upper, common.CONFIG_FILE)
    )


def find_command(command, install_hint):
    env = dict(os.environ)
    env["PATH"] = SEARCH_PATH + (":" + env["PATH"] if env.get("PATH") else "")
    try:
        return subprocess.check_output(["which", command], env=env, stderr=subprocess.DEVNULL).strip().decode()
    except (subprocess.CalledProcessError, OSError):
        raise Error("Failed to locate %s in %s - %s" % (command, SEARCH_PATH, install_hint)) from None


def stunnel_bin():
    return find_command(
        "stunnel",
        "Please install it following the instructions at: "
        "https://docs.aws.amazon.com/efs/latest/ug/using-amazon-efs-utils.html#upgrading-stunnel",
    )


def efs_proxy_bin():
    return find_command(
        "efs-proxy", "The efs-proxy binary is packaged with efs-utils. It was deleted or not installed correctly."
    )


def stunnel_help_lines(binary):
    """stunnel prints its option list on stderr for -help."""
    with subprocess.Popen([binary, "-help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, close_fds=True) as proc:
        err = proc.communicate()[1]
    return err.decode("utf-8", "replace").splitlines()


def stunnel_supports(help_lines, option, value=None):
    for line in help_lines:
        if line.startswith(option) and (value is None or value in line):
            return True
    return False


def fips_enabled(config, environ=None):
    environ = os.environ if environ is None else environ
    if environ.get("AWS_USE_FIPS_ENDPOINT", "False").lower() == "true":
        return True
    return common.config_bool(config, common.MOUNT_SECTION, "fips_mode_enabled", False, warn=False)


def ca_file(config, options, region):
    if "cafile" in options:
        path = options["cafile"]
    else:
        section = config_section(config, region)
        path = config.get(section, "stunnel_cafile", fallback=common.DEFAULT_CAFILE)
    if not os.path.exists(path):
        raise Error(
            "Failed to find certificate authority file for verification",
            log_message='Failed to find CAfile "%s"' % path,
        )
    return path


def tunnel_config(config, ctx, help_lines, stunnel, environ=None):
    """(global, efs) key/value lists for the tunnel config file, in the helper's order.

    ctx: fs_id, mountpoint, port, dns_name, fallback_ip, options, region, state_dir, cert (dict or None)."""
    options = ctx["options"]
    tls = "tls" in options
    name = common.mount_filename(ctx["fs_id"], ctx["mountpoint"], ctx["port"])
    glob = [[k, list(v) if isinstance(v, list) else v] for k, v in STUNNEL_GLOBAL]
    if stunnel and stunnel_supports(help_lines, "foreground", "quiet"):
        _set(glob, "foreground", "quiet")
    if common.config_bool(config, common.MOUNT_SECTION, "stunnel_debug_enabled", False, warn=False):
        _set(glob, "debug", "debug")
        _set(glob, "foreground", "yes")
        if config.has_option(common.MOUNT_SECTION, "stunnel_logs_file"):
            output = config.get(common.MOUNT_SECTION, "stunnel_logs_file").replace("{fs_id}", ctx["fs_id"])
        else:
            output = os.path.join(common.LOG_DIR, "%s.%s.log" % (name, "stunnel" if stunnel else "efs-proxy"))
        _set(glob, "output", output)
    _set(glob, "pid", os.path.join(ctx["state_dir"], name + "+", "stunnel.pid"))
    if fips_enabled(config, environ):
        _set(glob, "fips", "yes")

    efs = [[k, v] for k, v in STUNNEL_EFS]
    _set(efs, "accept", "127.0.0.1:%s" % ctx["port"])
    _set(efs, "connect", "%s:2049" % (ctx.get("fallback_ip") or ctx["dns_name"]))
    if tls:
        try:
            level = int(options["verify"]) if options.get("verify") is not None else 2
        except ValueError:
            raise Error("verify option [%s] is not an integer" % options["verify"]) from None
        _set(efs, "verify", level)
        if level > 0:
            _set(efs, "CAfile", ca_file(config, options, ctx["region"]))
    if ctx.get("cert"):
        _set(efs, "cert", ctx["cert"]["certificate"])
        _set(efs, "key", ctx["cert"]["privateKey"])
    if tls:
        fs_part = ctx["dns_name"][ctx["dns_name"].index(ctx["fs_id"]) :]
        if common.config_bool(config, common.MOUNT_SECTION, "stunnel_check_cert_hostname", True, warn=False):
            if stunnel and not stunnel_supports(help_lines, "checkHost"):
                logging.warning('stunnel does not support "checkHost"')
                raise Error(TLS_CONTROLS_MESSAGE % "stunnel_check_cert_hostname")
            _set(efs, "checkHost", fs_part)
        if stunnel and ctx.get("fallback_ip") and ":" in ctx["fallback_ip"]:
            _set(efs, "sni", fs_part)
        if stunnel and ocsp_enabled(config, options):
            if not stunnel_supports(help_lines, "OCSPaia"):
                raise Error(TLS_CONTROLS_MESSAGE % "stunnel_check_cert_validity")
            _set(efs, "OCSPaia", "yes")
    if stunnel and stunnel_supports(help_lines, "libwrap"):
        _set(efs, "libwrap", "no")
    if not stunnel:
        _set(
            efs,
            "retry_nfs_mount_command_timeout_sec",
            common.config_positive_int(config, common.MOUNT_SECTION, "retry_nfs_mount_command_timeout_sec", 15),
        )
        _set(efs, "fs_id", ctx["fs_id"])
        _set(efs, "region", ctx["region"])
        _set(efs, "efs_utils_version", common.VERSION)
    return glob, efs


def _set(pairs, key, value):
    for pair in pairs:
        if pair[0] == key:
            pair[1] = value
            return
    pairs.append([key, value])


def render_tunnel_config(glob, efs):
    """stunnel's own format (not INI): one `key = value` per line, lists repeated; no trailing newline."""
    lines = []
    for header, pairs in ((None, glob), ("efs", efs)):
        if header:
            lines.append("[%s]" % header)
        for key, value in pairs:
            for item in value if isinstance(value, list) else [value]:
                lines.append("%s = %s" % (key, item))
    return "\n".join(lines)


def state_document(pid, cmd, files, mountpoint, cert=None, now=None):
    state = {
        "pid": pid,
        "cmd": cmd,
        "files": files,
        "mount_time": time.time() if now is None else now,
        "mountpoint": mountpoint,
        "service_type": common.SERVICE_NAME,
    }
    if cert:
        state.update(cert)
    return state


# ---------------------------------------------------------------- credentials (iam)


def aws_files():
    home = os.path.expanduser("~")
    return os.path.join(home, ".aws", "credentials"), os.path.join(home, ".aws", "config")


def aws_credentials(options, environ=None):
    """Named profile (option, AWS_PROFILE, else [default]) from ~/.aws/credentials or config.
    ECS, web identity and instance roles need services the sandbox does not have; they fail like the helper
    does when nothing is found."""
    environ = os.environ if environ is None else environ
    cred_file, conf_file = aws_files()
    if "awscredsuri" in options:
        uri = "http://169.254.170.2" + options["awscredsuri"]
        raise Error("Unsuccessful retrieval of AWS security credentials at %s." % uri)
    profile = options.get("awsprofile") or environ.get("AWS_PROFILE")
    explicit = bool(profile)
    profile = profile or "default"
    for path in (cred_file, conf_file):
        parser = configparser.ConfigParser()
        parser.read(path)
        for section in (profile, "profile %s" % profile):
            if parser.has_option(section, "aws_access_key_id") and parser.has_option(section, "aws_secret_access_key"):
                return parser.get(section, "aws_access_key_id"), "%s:%s" % (os.path.basename(path), profile)
    if explicit:
        raise Error(
            "AWS security credentials not found in %s or %s under named profile [%s]" % (cred_file, conf_file, profile)
        )
    raise Error(
        "AWS Access Key ID and Secret Access Key are not found in AWS credentials file (%s), config file (%s), "
        "from ECS credentials relative uri, or from the instance security credentials service" % (cred_file, conf_file)
    )


# ---------------------------------------------------------------- running things


def init_system():
    try:
        with open("/proc/1/comm", encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        logging.warning("Unable to read /proc/1/comm")
        return "unknown"


def check_network(fs_id, init):
    if init != "systemd":
        logging.debug("Not testing network on non-systemd init systems")
        return
    rc = subprocess.call(
        ["systemctl", "is-active", "network.target"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if rc != 0:
        # exit 0 so a boot-time fstab mount does not fail local-fs.target
        raise Error(
            'Failed to mount %s because the network was not yet available, add "_netdev" to your mount options' % fs_id,
            exit_code=0,
        )


def start_watchdog(init):
    if init == "systemd":
        if subprocess.call(["systemctl", "is-active", "--quiet", common.WATCHDOG_SERVICE]) != 0:
            subprocess.Popen(
                ["systemctl", "start", common.WATCHDOG_SERVICE],  # pylint: disable=consider-using-with
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
        else:
            logging.debug("%s is already running", common.WATCHDOG_SERVICE)
    else:
        message = 'Could not start %s, unrecognized init system "%s"' % (common.WATCHDOG_SERVICE, init)
        sys.stderr.write(message + "\n")
        logging.warning(message)


def is_nfs_mount(mountpoint):
    if not os.path.ismount(mountpoint):
        return False
    out = subprocess.run(["stat", "-f", "-L", "-c", "%T", mountpoint], capture_output=True, check=False).stdout
    return b"nfs" in out


def wait_for_port(port, tries=5, delay=0.05):
    for dummy in range(tries + 1):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError as exc:
            logging.warning("Error connecting to 127.0.0.1:%s, %s", port, exc)
            time.sleep(delay)
    return False


def run_mount_nfs(config, options, command, name, mountpoint):
    """mount.nfs4 with the helper's retries: count-1 attempts bounded by the timeout that are retried only on
    'reset by peer' (or a timeout), then a last unbounded attempt. Returns on success, raises Error otherwise."""
    retry = common.config_bool(config, common.MOUNT_SECTION, "retry_nfs_mount_command", True, warn=False)
    timeout = common.config_positive_int(config, common.MOUNT_SECTION, "retry_nfs_mount_command_timeout_sec", 15)
    count = common.config_positive_int(config, common.MOUNT_SECTION, "retry_nfs_mount_command_count", 3) if retry else 1
    for attempt in range(count - 1):
        sleep = 1.5**attempt + random.random()
        logging.info('Executing: "%s" with %s sec time limit.', " ".join(command), timeout)
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, close_fds=True) as proc:
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                sleep = 0
                err_text = "timeout after %s sec" % timeout
                logging.error(
                    "Mounting %s to %s failed due to %s, mount attempt %d/%d, wait %d sec before next attempt.",
                    name,
                    mountpoint,
                    err_text,
                    attempt + 1,
                    count,
                    sleep,
                )
            else:
                err_text = err.decode("utf-8", "replace").strip()
                if proc.returncode == 0:
                    return
                retryable = any(e in err_text for e in RETRYABLE_ERRORS)
                if not retryable and "access denied by server" in err_text:
                    retryable = "accesspoint" in options
                if not retryable:
                    raise Error(
                        err_text,
                        exit_code=proc.returncode,
                        log_message='Failed to mount %s at %s: returncode=%d, stderr="%s"'
                        % (name, mountpoint, proc.returncode, err_text),
                    )
                logging.error(
                    'Mounting %s to %s failed, return code=%s, stdout="%s", stderr="%s", mount attempt %d/%d, '
                    "wait %d sec before next attempt.",
                    name,
                    mountpoint,
                    proc.returncode,
                    out,
                    err_text,
                    attempt + 1,
                    count,
                    sleep,
                )
        sys.stderr.write(
            "Mount attempt %d/%d failed due to %s, wait %d sec before next attempt.\n"
            % (attempt + 1, count, err_text, sleep)
        )
        time.sleep(sleep)
    logging.info('Executing: "%s"', " ".join(command))
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, close_fds=True) as proc:
        err = proc.communicate()[1]
    err_text = err.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        raise Error(
            err_text,
            exit_code=proc.returncode,
            log_message='Failed to mount %s at %s: returncode=%d, stderr="%s"'
            % (name, mountpoint, proc.returncode, err_text),
        )


def mount_nfs(config, name, path, mountpoint, options, stunnel, fallback_ip=None):
    if stunnel and "tls" not in options:
        host = fallback_ip or name
        source = "%s:%s" % ("[%s]" % host if ":" in host else host, path)
    else:
        source = "127.0.0.1:%s" % path
    command = ["/sbin/mount.nfs4", source, mountpoint, "-o", nfs_mount_options(options, stunnel)]
    if "netns" in options:
        command = ["nsenter", "--net=" + options["netns"]] + command
    run_mount_nfs(config, options, command, name, mountpoint)
    logging.info("Successfully mounted %s at %s", name, mountpoint)


def watch_tunnel(proc, fs_id, done):
    """During the mount, a dead tunnel ends the helper at once (the real helper does the same with os._exit)."""
    while not done.is_set():
        if proc.poll() is not None:
            err = proc.stderr.read().decode("utf-8", "replace").strip() if proc.stderr else ""
            message = "Failed to initialize tunnel for %s, please check mount.log for the failure reason." % fs_id
            sys.stderr.write(message + "\n")
            logging.error(
                'Failed to start tunnel (errno=%d), stderr="%s". If the stderr is lacking enough details, please '
                "enable stunnel debug log in efs-utils config file and retry the mount to capture more info.",
                proc.returncode,
                err,
            )
            logging.shutdown()
            os._exit(1)  # pylint: disable=protected-access
        done.wait(0.5)


def relay_command(stunnel, binary, config_path, options):
    """The relay's argv as 3.2.0 builds it (and records it in the state file's `cmd`)."""
    if stunnel:
        args = [binary, config_path]
    else:
        # Mounts of EFS (not S3 Files) always turn read bypass off.
        args = [efs_proxy_bin(), config_path] + (["--tls"] if "tls" in options else []) + ["--no-direct-s3-read"]
    if "netns" in options:
        args = ["nsenter", "--net=" + options["netns"]] + args
    return args


def mount_with_tunnel(config, init, name, path, fs_id, mountpoint, options, stunnel, fallback_ip=None):
    if is_nfs_mount(mountpoint):
        sys.stdout.write("%s is already mounted, please run 'mount' command to verify\n" % mountpoint)
        logging.warning("%s is already mounted, mount aborted", mountpoint)
        return
    state_dir = common.STATE_FILE_DIR
    sock = choose_port(config, options, state_dir)
    port = sock.getsockname()[1]
    try:
        options["tlsport"] = port
        region = target_region(config, options)
        cert = None
        if "tls" in options:
            cert = {}
            access_key = None
            if "iam" in options:
                access_key, source = aws_credentials(options)
                cert["awsCredentialsMethod"] = source
            if options.get("accesspoint"):
                cert["accessPoint"] = options["accesspoint"]
            cert["mountStateDir"] = common.mount_filename(fs_id, mountpoint, port) + "+"
            cert["commonName"] = common.hostname_common_name()
            cert["region"] = region
            if not os.path.isdir(state_dir):
                common.create_state_dir(config, state_dir)
            cert["certificateCreationTime"] = common.create_certificate(
                config,
                cert["mountStateDir"],
                cert["commonName"],
                fs_id,
                state_dir,
                options.get("accesspoint"),
                access_key,
            )
            cert["certificate"] = os.path.join(state_dir, cert["mountStateDir"], "certificate.pem")
            cert["privateKey"] = common.PRIVATE_KEY_FILE
            cert["fsId"] = fs_id
        if not os.path.isdir(state_dir):
            common.create_state_dir(config, state_dir)
        start_watchdog(init)
        binary = stunnel_bin() if stunnel else None
        help_lines = stunnel_help_lines(binary) if stunnel else []
        ctx = {
            "fs_id": fs_id,
            "mountpoint": mountpoint,
            "port": port,
            "dns_name": name,
            "fallback_ip": fallback_ip,
            "options": options,
            "region": region,
            "state_dir": state_dir,
            "cert": cert,
        }
        glob, efs = tunnel_config(config, ctx, help_lines, stunnel)
        base = common.mount_filename(fs_id, mountpoint, port)
        config_path = os.path.join(state_dir, "stunnel-config." + base)
        text = render_tunnel_config(glob, efs)
        logging.debug("Writing stunnel configuration:\n%s", text)
        with open(config_path, "w", encoding="utf-8") as handle:
            handle.write(text)
        args = relay_command(stunnel, binary, config_path, options)
        # The '~' state file reserves the port (pid -1) until the tunnel runs.
        common.write_json(
            os.path.join(state_dir, "~" + base), state_document(-1, args, [config_path], mountpoint, cert)
        )
    finally:
        logging.debug("Closing socket used to choose proxy listen port %s.", port)
        sock.close()

    relay = "stunnel" if stunnel else "efs-proxy"
    logging.info('Starting %s: "%s"', relay, " ".join(args))
    proc = subprocess.Popen(
        args,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,  # pylint: disable=consider-using-with
        start_new_session=True,
        close_fds=True,
    )
    try:
        logging.info("Started %s, pid: %d", relay, proc.pid)
        tmp = os.path.join(state_dir, "~" + base)
        with open(tmp, encoding="utf-8") as handle:
            state = json.load(handle)
        state["pid"] = proc.pid
        common.write_json(tmp, state)
        wait_for_port(port)
        done = threading.Event()
        watcher = threading.Thread(target=watch_tunnel, args=(proc, fs_id, done), daemon=True)
        watcher.start()
        try:
            mount_nfs(config, name, path, mountpoint, options, stunnel)
        finally:
            done.set()
            watcher.join()
    finally:
        # Like the helper: the state file stays even when mount.nfs failed; the watchdog retires it.
        os.rename(os.path.join(state_dir, "~" + base), os.path.join(state_dir, base))


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    if "-h" in argv[1:] or "--help" in argv[1:]:
        sys.stdout.write("Usage: mount.efs [--version] [-h|--help] <fsname> <mountpoint> [-o <options>]\n")
        return 0
    if "--version" in argv[1:]:
        sys.stdout.write("%s Version: %s\n" % (argv[0], common.VERSION))
        return 0
    if os.geteuid() != 0:
        sys.stderr.write("only root can run this command\n")
        return 1
    config = common.read_config()
    common.bootstrap_logging(config, common.MOUNT_SECTION, "mount.log")
    try:
        device, mountpoint, options, fake = parse_arguments(argv)
        fs_id, path, az = match_device(config, device, options)
        if az and "az" not in options:
            options["az"] = az
        stunnel = stunnel_mode(config, options)
        logging.info("version=%s options=%s", common.VERSION, options)
        check_unsupported_options(options)
        check_options_validity(options)
        init = init_system()
        check_network(fs_id, init)
        name, fallback_ip = resolve_target(config, fs_id, options)
        if fake:
            logging.info("Fake mount mode enabled (-f), skipping actual mount")
            return 0
        if "tls" not in options and stunnel:
            mount_nfs(config, name, path, mountpoint, options, stunnel, fallback_ip)
        else:
            mount_with_tunnel(config, init, name, path, fs_id, mountpoint, options, stunnel, fallback_ip)
    except Error as exc:
        sys.stderr.write("%s\n" % exc.message)
        logging.error(exc.log_message)
        return exc.exit_code
    return 0
