# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How EFS decides an NFS client's request under a file system policy, and the verdict on a policy.

Pure functions only. The evaluator enumerates every kind of request that the policy can tell
apart (principal, client action, TLS or not, access point, source address) and evaluates each the
way IAM does: an explicit Deny wins, then an Allow, else the implicit deny. No policy means EFS's
default: any client that reaches a mount target may mount, write and use root, without TLS too.

Three-valued throughout: a statement applies (True), does not (False) or cannot be decided
(None, e.g. a condition key this module does not know). Anything undecided makes the verdict
unknown (None), never "enforces".

Assumptions (documented in docs/efs_policy.md): every NFS client request comes through a mount
target (elasticfilesystem:AccessedViaMountTarget is "true"); the request carries aws:SourceIp,
and elasticfilesystem:AccessPointArn only when mounting through an access point. Identity-based
IAM policies are not seen; they can only add access for IAM-authenticated clients, which EFS
authenticates over TLS only. A statement that names IAM principals is evaluated for them anyway,
TLS or not (the conservative reading).
"""

from __future__ import annotations

import ipaddress
import json
import re

ACTION_MOUNT = "elasticfilesystem:ClientMount"
ACTION_WRITE = "elasticfilesystem:ClientWrite"
ACTION_ROOT = "elasticfilesystem:ClientRootAccess"
CLIENT_ACTIONS = (ACTION_MOUNT, ACTION_WRITE, ACTION_ROOT)

KEY_TLS = "aws:securetransport"
KEY_VIA_MT = "elasticfilesystem:accessedviamounttarget"
KEY_AP = "elasticfilesystem:accesspointarn"
KEY_IP = "aws:sourceip"
KNOWN_KEYS = (KEY_TLS, KEY_VIA_MT, KEY_AP, KEY_IP)

VERDICT_KEYS = (
    "enforces_tls",
    "clients_can_mount",
    "root_access_without_tls",
    "mount_without_tls",
    "anonymous_can_mount",
)

# The source address of requests when the policy has no address conditions.
_DEFAULT_IP = ipaddress.ip_address("192.0.2.10")
# More request kinds than this and the verdict is "unknown" rather than a long computation.
MAX_CONTEXTS = 50000

_ACCOUNT_RE = re.compile(r"^\d{12}\Z")
_ROOT_ARN_RE = re.compile(r"^arn:[a-z-]+:iam::(\d{12}):root\Z")
_PRINCIPAL_ARN_RE = re.compile(r"^arn:([a-z-]+):(?:iam|sts)::(\d{12}):(.+)\Z")
_FS_ARN_RE = re.compile(r"^arn:([a-z-]+):elasticfilesystem:([a-z0-9-]+):(\d{12}):file-system/(fs-[0-9a-f]+)\Z")

_STRING_OPS = {
    "StringEquals": (False, False, False),  # (negated, like, ignore case)
    "StringNotEquals": (True, False, False),
    "StringEqualsIgnoreCase": (False, False, True),
    "StringNotEqualsIgnoreCase": (True, False, True),
    "StringLike": (False, True, False),
    "StringNotLike": (True, True, False),
}
_ARN_OPS = {"ArnEquals": False, "ArnLike": False, "ArnNotEquals": True, "ArnNotLike": True}
_IP_OPS = {"IpAddress": False, "NotIpAddress": True}


class Undecided(Exception):
    """Raised inside the evaluator for a part of a policy it cannot decide; the message says why."""


# ---------------------------------------------------------------------------
# Small helpers


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _text(value):
    """Condition values as IAM compares them: booleans and numbers as strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    raise Undecided(f"condition value {value!r} is not a string")


def _glob(pattern, value, ignore_case=False):
    """IAM wildcard matching: * is any run of characters, ? one character; nothing else is special."""
    if "${" in pattern:
        raise Undecided(f"policy variables such as {pattern!r} are not evaluated")
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def _arn_like(pattern, value):
    """ArnLike: the six colon-separated parts match one by one; wildcards stay inside their part."""
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    if len(p_parts) != 6 or len(v_parts) != 6:
        return False
    return all(_glob(p, v) for p, v in zip(p_parts, v_parts))


def label(statement, index):
    sid = statement.get("Sid") if isinstance(statement, dict) else None
    return repr(sid) if isinstance(sid, str) and sid else f"#{index}"


# ---------------------------------------------------------------------------
# The file system and the requests


class FileSystem:
    """What the evaluator knows of the file system: its id and, when known, its ARN or region."""

    def __init__(self, fs_id=None, arn=None, region=None):
        self.arn = arn
        match = _FS_ARN_RE.match(arn) if arn else None
        self.partition, self.region, self.account, self.fs_id = match.groups() if match else (None, region, None, fs_id)
        if fs_id and not self.fs_id:
            self.fs_id = fs_id

    def resource_matches(self, pattern):
        """Whether a Resource pattern names this file system. The own ARN in any partition applies."""
        if not isinstance(pattern, str):
            raise Undecided(f"Resource {pattern!r} is not a string")
        if pattern == "*":
            return True
        if self.arn:
            return _arn_like(pattern, self.arn)
        # Only the id (and maybe the region) is known: compare what is known, take the rest as ours.
        parts = pattern.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            return False
        dummy, dummy_partition, service, region, dummy_account, resource = parts
        if not _glob(service, "elasticfilesystem"):
            return False
        if self.region and not _glob(region, self.region):
            return False
        if not self.fs_id:
            raise Undecided(f"Resource {pattern!r} cannot be matched without the file system id")
        return _glob(resource, "file-system/" + self.fs_id)


class Request:
    __slots__ = ("principal", "account", "kind", "action", "tls", "access_point", "source_ip")

    def __init__(self, principal, account, kind, action, tls, access_point, source_ip):
        self.principal = principal  # None: anonymous (a client mounting without IAM)
        self.account = account
        self.kind = kind  # anonymous, named (in the policy), account (another of a named account), other
        self.action = action
        self.tls = tls
        self.access_point = access_point  # None: no access point
        self.source_ip = source_ip

    def key(self, name):
        """(present, value) of a condition key in this request."""
        if name == KEY_TLS:
            return True, "true" if self.tls else "false"
        if name == KEY_VIA_MT:
            return True, "true"
        if name == KEY_AP:
            return self.access_point is not None, self.access_point
        if name == KEY_IP:
            return True, self.source_ip
        raise Undecided(f"condition key {name!r} is not one EFS sets for NFS clients that this evaluator knows")

    def who(self):
        if self.kind == "anonymous":
            return "anonymous clients"
        if self.kind == "account":
            return f"any principal of account {self.account}"
        if self.kind == "other":
            return "a principal of an account the policy does not name"
        return self.principal

    def describe(self):
        where = f" through access point {self.access_point}" if self.access_point else ""
        source = "" if self.source_ip == _DEFAULT_IP else f" from {self.source_ip}"
        return f"{self.who()}{where}{source}"


# ---------------------------------------------------------------------------
# Statement elements


def _principal_value_matches(value, request):
    if not isinstance(value, str):
        raise Undecided(f"principal {value!r} is not a string")
    if value == "*":
        return True
    if request.principal is None:
        return False
    root = _ROOT_ARN_RE.match(value)
    if _ACCOUNT_RE.match(value) or root:
        # An account in a resource policy stands for every IAM principal of that account.
        return request.account == (root.group(1) if root else value)
    if "*" in value or "?" in value:
        raise Undecided(f"principal {value!r} has a wildcard, which IAM does not allow there")
    return value == request.principal


def principal_matches(element, request):
    """Whether a Principal element (the value of Principal or NotPrincipal) names the requester."""
    if element == "*":
        return True
    if not isinstance(element, dict):
        raise Undecided(f'Principal {element!r} is neither "*" nor an object')
    for kind, values in element.items():
        if kind != "AWS":
            continue  # Service, Federated, CanonicalUser principals are never NFS clients.
        if any(_principal_value_matches(v, request) for v in _as_list(values)):
            return True
    return False


def action_matches(patterns, action):
    for pattern in _as_list(patterns):
        if not isinstance(pattern, str):
            raise Undecided(f"action {pattern!r} is not a string")
        if _glob(pattern, action, ignore_case=True):
            return True
    return False


def _condition_clause(operator, key, values, request):
    """One key under one operator: True, False, or raise Undecided."""
    set_op = None
    op = operator
    if ":" in op:
        set_op, op = op.split(":", 1)
        if set_op not in ("ForAnyValue", "ForAllValues"):
            raise Undecided(f"condition operator {operator!r} is not known")
    if_exists = op.endswith("IfExists") and op != "IfExists"
    if if_exists:
        op = op[: -len("IfExists")]
    values = [_text(v) for v in _as_list(values)]
    present, actual = request.key(key.lower())
    if op == "Null":
        wanted = {v.lower() for v in values}
        if not wanted <= {"true", "false"}:
            raise Undecided(f"Null condition on {key} has a value other than true/false")
        return (("true" if not present else "false") in wanted) if len(wanted) == 1 else True
    negated = op in ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike")
    negated = negated or op == "NotIpAddress"
    if op not in _STRING_OPS and op not in _ARN_OPS and op not in _IP_OPS and op != "Bool":
        raise Undecided(f"condition operator {operator!r} is not evaluated for {key}")
    if not present:
        # IAM: a missing key fails a condition, except with IfExists, ForAllValues and negated operators.
        return if_exists or set_op == "ForAllValues" or negated
    if op == "Bool":
        lowered = [v.lower() for v in values]
        if any(v not in ("true", "false") for v in lowered):
            raise Undecided(f"Bool condition on {key} has a value other than true/false: {values!r}")
        if key.lower() in (KEY_AP, KEY_IP):
            raise Undecided(f"Bool condition on the non-boolean key {key}")
        return actual in lowered
    if op in _IP_OPS:
        if key.lower() != KEY_IP:
            raise Undecided(f"{op} on {key}, which is not an address")
        try:
            nets = [ipaddress.ip_network(v, strict=False) for v in values]
        except ValueError as e:
            raise Undecided(f"{op} value is not an address or CIDR: {e}") from None
        hit = any(actual.version == n.version and actual in n for n in nets)
        return not hit if _IP_OPS[op] else hit
    text = str(actual)
    if op in _ARN_OPS:
        hit = any(_arn_like(v, text) for v in values)
        return not hit if _ARN_OPS[op] else hit
    dummy, like, ignore_case = _STRING_OPS[op]
    if like:
        hit = any(_glob(v, text, ignore_case) for v in values)
    else:
        if any("${" in v for v in values):
            raise Undecided(f"policy variables in {values!r} are not evaluated")
        hit = any((v.lower() == text.lower()) if ignore_case else (v == text) for v in values)
    return not hit if negated else hit


def condition_holds(condition, request):
    """Every operator and every key in it must hold (values of one key: any of them).

    Three-valued AND: one false clause makes it False even when another cannot be decided."""
    if condition is None:
        return True
    if not isinstance(condition, dict):
        raise Undecided("Condition is not an object")
    undecided = None
    for operator, clauses in condition.items():
        if not isinstance(clauses, dict):
            raise Undecided(f"Condition {operator!r} does not map keys to values")
        for key, values in clauses.items():
            try:
                if not _condition_clause(operator, str(key), values, request):
                    return False
            except Undecided as e:
                undecided = undecided or e
    if undecided:
        raise undecided
    return True


def _element_applies(statement, positive, negative, match):
    if positive in statement:
        return match(statement[positive])
    if negative in statement:
        return not match(statement[negative])
    return None


def statement_applies(statement, request, fs):
    """(True, None), (False, None), or (None, why): three-valued, a False part wins over an undecided one."""
    if not isinstance(statement, dict):
        return None, "a statement is not an object"
    if statement.get("Effect") not in ("Allow", "Deny"):
        return None, f"Effect {statement.get('Effect')!r} is neither Allow nor Deny"
    parts = (
        ("Principal", "NotPrincipal", lambda e: principal_matches(e, request), True),
        ("Action", "NotAction", lambda e: action_matches(e, request.action), True),
        ("Resource", "NotResource", lambda e: any(fs.resource_matches(r) for r in _as_list(e)), False),
    )
    why = None
    for positive, negative, match, required in parts:
        try:
            applies = _element_applies(statement, positive, negative, match)
            if applies is None and required:
                raise Undecided(f"no {positive} or {negative}")
            if applies is False:
                return False, None
        except Undecided as e:
            why = why or str(e)
    try:
        if not condition_holds(statement.get("Condition"), request):
            return False, None
    except Undecided as e:
        why = why or str(e)
    return (None, why) if why else (True, None)


class Decision:
    """The outcome of one request: "allow", "deny" or "unknown", and which statements led there."""

    def __init__(self, outcome, statements, why=None):
        self.outcome = outcome
        self.statements = statements
        self.why = why


def decide(statements, request, fs):
    allow, deny, undecided = [], [], []
    for index, st in enumerate(statements, 1):
        applies, why = statement_applies(st, request, fs)
        effect = st.get("Effect") if isinstance(st, dict) else None
        if applies is None:
            undecided.append((label(st, index), effect, why))
        elif applies:
            (deny if effect == "Deny" else allow).append(label(st, index))
    if deny:
        return Decision("deny", deny)
    # An undecided Deny could still refuse the request; an undecided Allow could still permit it.
    undecided_deny = [u for u in undecided if u[1] != "Allow"]
    if undecided_deny:
        return Decision("unknown", [u[0] for u in undecided_deny], undecided_deny[0][2])
    if allow:
        return Decision("allow", allow)
    if undecided:
        return Decision("unknown", [u[0] for u in undecided], undecided[0][2])
    return Decision("deny", [])


# ---------------------------------------------------------------------------
# Enumerating the requests a policy can tell apart


def _walk_conditions(statements):
    for st in statements:
        if isinstance(st, dict) and isinstance(st.get("Condition"), dict):
            for operator, clauses in st["Condition"].items():
                if isinstance(clauses, dict):
                    for key, values in clauses.items():
                        yield operator, str(key).lower(), _as_list(values)


def _principal_candidates(statements, fs):
    """(principal ARN or None, account, kind): anonymous, every named principal, one more principal of each
    named account, and one of an account the policy does not name."""
    partition = fs.partition or "aws"
    named, accounts = [], []
    for st in statements:
        if not isinstance(st, dict):
            continue
        for element in (st.get("Principal"), st.get("NotPrincipal")):
            if not isinstance(element, dict):
                continue
            for value in _as_list(element.get("AWS", [])):
                if not isinstance(value, str) or value == "*":
                    continue
                root = _ROOT_ARN_RE.match(value)
                arn = _PRINCIPAL_ARN_RE.match(value)
                if _ACCOUNT_RE.match(value) or root:
                    accounts.append(root.group(1) if root else value)
                elif arn:
                    named.append((value, arn.group(2)))
                    accounts.append(arn.group(2))
    if fs.account:
        accounts.append(fs.account)
    out = [(None, None, "anonymous")]
    out += [(arn, account, "named") for arn, account in dict.fromkeys(named)]
    for account in dict.fromkeys(accounts):
        out.append((f"arn:{partition}:iam::{account}:user/efs-transit-probe", account, "account"))
    other = next(str(n) for n in range(999999999999, 0, -1) if str(n) not in accounts)
    out.append((f"arn:{partition}:iam::{other}:user/efs-transit-probe", other, "other"))
    return out


def _access_point_candidates(statements, fs):
    """None (no access point), every literal value, examples of each pattern, and one matching none."""
    partition, region, account = fs.partition or "aws", fs.region or "us-east-1", fs.account or "123456789012"
    other = f"arn:{partition}:elasticfilesystem:{region}:{account}:access-point/fsap-0e0f0e0f0e0f0e0f0"
    literals, patterns = [], []
    for dummy, key, values in _walk_conditions(statements):
        if key != KEY_AP:
            continue
        for value in values:
            if isinstance(value, str):
                (patterns if ("*" in value or "?" in value) else literals).append(value)
    if not literals and not patterns:
        return [None]
    out = [None, other] + literals
    for pattern in patterns:
        for fill in ("", "0", "fsap-0e0f0e0f0e0f0e0f0"):
            out.append(pattern.replace("*", fill).replace("?", "0"))
    out = list(dict.fromkeys(out))
    real_patterns = [p for p in dict.fromkeys(patterns) if p != "*"]
    if len(real_patterns) > 1:
        # Examples cannot prove that every combination of several patterns was tried.
        raise Undecided(f"several wildcard patterns for {KEY_AP} ({', '.join(real_patterns)})")
    return out


def _ip_candidates(statements):
    """One address in every region the policy's CIDRs cut the address space into."""
    nets = []
    for dummy, key, values in _walk_conditions(statements):
        if key != KEY_IP:
            continue
        for value in values:
            try:
                nets.append(ipaddress.ip_network(_text(value), strict=False))
            except (ValueError, Undecided):
                continue  # the condition itself reports the bad value
    if not nets:
        return [_DEFAULT_IP]
    out = [ipaddress.ip_address("0.0.0.0"), ipaddress.ip_address("::")]
    for net in nets:
        out.append(net.network_address)
        last = int(net.broadcast_address)
        if last < (2**32 - 1 if net.version == 4 else 2**128 - 1):
            out.append(ipaddress.ip_address(last + 1) if net.version == 4 else ipaddress.IPv6Address(last + 1))
    return list(dict.fromkeys(out))


def requests(statements, fs, actions=CLIENT_ACTIONS, tls_values=(False, True)):
    principals = _principal_candidates(statements, fs)
    access_points = _access_point_candidates(statements, fs)
    ips = _ip_candidates(statements)
    total = len(principals) * len(access_points) * len(ips) * len(actions) * len(tls_values)
    if total > MAX_CONTEXTS:
        raise Undecided(f"the policy distinguishes {total} kinds of request, more than the {MAX_CONTEXTS} evaluated")
    for tls in tls_values:
        for action in actions:
            for principal, account, kind in principals:
                for ap in access_points:
                    for ip in ips:
                        yield Request(principal, account, kind, action, tls, ap, ip)


# ---------------------------------------------------------------------------
# The verdict


def _short(action):
    return action.split(":", 1)[1]


def _parse(policy):
    if isinstance(policy, (str, bytes)):
        try:
            policy = json.loads(policy)
        except ValueError as e:
            raise Undecided(f"the policy is not JSON: {e}") from None
    if not isinstance(policy, dict):
        raise Undecided("the policy is not a JSON object")
    statements = _as_list(policy.get("Statement", []))
    if not statements:
        raise Undecided("the policy has no statements")
    return statements


def _question(decisions):
    """True when some request is allowed, False when all are denied, None otherwise; plus examples."""
    allowed = [(r, d) for r, d in decisions if d.outcome == "allow"]
    unknown = [(r, d) for r, d in decisions if d.outcome == "unknown"]
    if allowed:
        return True, allowed, unknown
    return (None if unknown else False), allowed, unknown


def evaluate(policy, fs_id=None, fs_arn=None, region=None):
    """The verdict on a policy (a dict, its JSON text, or None/{} for no policy).

    Returns {enforces_tls, clients_can_mount, root_access_without_tls, mount_without_tls,
    anonymous_can_mount, reasons}: each of the booleans is True, False or None (unknown).
    enforces_tls is True only when no principal can do any client action without TLS.
    """
    fs = FileSystem(fs_id, fs_arn, region)
    if policy is None or policy == {} or policy == "":
        return {
            "enforces_tls": False,
            "clients_can_mount": True,
            "root_access_without_tls": True,
            "mount_without_tls": True,
            "anonymous_can_mount": True,
            "reasons": [
                "no file system policy: EFS's default lets every client that reaches a mount target mount, "
                "write and use root, without TLS too"
            ],
        }
    try:
        statements = _parse(policy)
        decisions = [(r, decide(statements, r, fs)) for r in requests(statements, fs)]
    except Undecided as e:
        return {
            "enforces_tls": None,
            "clients_can_mount": None,
            "root_access_without_tls": None,
            "mount_without_tls": None,
            "anonymous_can_mount": None,
            "reasons": [f"unknown: {e}"],
        }
    plain = [(r, d) for r, d in decisions if not r.tls]
    any_plain, plain_allowed, plain_unknown = _question(plain)
    mount, mount_allowed, mount_unknown = _question([(r, d) for r, d in decisions if r.action == ACTION_MOUNT])
    root_plain = _question([(r, d) for r, d in plain if r.action == ACTION_ROOT])[0]
    mount_plain = _question([(r, d) for r, d in plain if r.action == ACTION_MOUNT])[0]
    anon = _question([(r, d) for r, d in decisions if r.action == ACTION_MOUNT and r.principal is None])[0]
    reasons = []
    seen = set()
    for r, d in plain_allowed:
        if r.action not in seen:
            seen.add(r.action)
            reasons.append(
                f"without TLS, {r.describe()} may {_short(r.action)} (allowed by statement {', '.join(d.statements)})"
            )
    if any_plain is None:
        r, d = plain_unknown[0]
        reasons.append(
            f"unknown whether {r.describe()} may {_short(r.action)} without TLS: statement "
            f"{', '.join(d.statements)}: {d.why}"
        )
    if any_plain is False:
        denies = sorted({s for r, d in plain for s in d.statements})
        reasons.append(
            "every client action without TLS is denied"
            + (f" (by statement {', '.join(denies)})" if denies else " (no statement allows it)")
        )
    if mount is False:
        denies = sorted({s for r, d in decisions if r.action == ACTION_MOUNT for s in d.statements})
        allows = sorted(
            {
                label(st, i)
                for r, d in decisions
                if r.action == ACTION_MOUNT
                for i, st in enumerate(statements, 1)
                if st.get("Effect") == "Allow" and statement_applies(st, r, fs)[0]
            }
        )
        reasons.append(
            "no client can mount, with or without TLS (conditions included): "
            + (
                f"statement {', '.join(allows)} allows {ACTION_MOUNT} but statement {', '.join(denies)} denies it"
                if allows
                else f"no statement allows {ACTION_MOUNT}"
                + (f" and statement {', '.join(denies)} denies it" if denies else "")
            )
        )
    elif mount is None and not mount_allowed:
        r, d = mount_unknown[0]
        reasons.append(f"unknown whether any client can mount: statement {', '.join(d.statements)}: {d.why}")
    return {
        "enforces_tls": None if any_plain is None else not any_plain,
        "clients_can_mount": mount,
        "root_access_without_tls": root_plain,
        "mount_without_tls": mount_plain,
        "anonymous_can_mount": anon,
        "reasons": reasons,
    }


def allowed_for(policy, action, fs_id=None, fs_arn=None, region=None, anonymous_only=False, tls=True):
    """Labels of the statements that allow `action` (over TLS unless told) to a principal the
    policy does not name (or to anonymous clients): what the console's preset options forbid."""
    fs = FileSystem(fs_id, fs_arn, region)
    statements = _parse(policy)
    found = []
    for r in requests(statements, fs, actions=(action,), tls_values=(tls,)):
        if r.kind not in (("anonymous",) if anonymous_only else ("anonymous", "other")):
            continue
        d = decide(statements, r, fs)
        if d.outcome == "allow":
            found.extend(s for s in d.statements if s not in found)
    return found
