# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EFS file system policies as data: presets, grants, merge/purge, canonical form, validation.

Pure functions only (no AWS calls), so every rule here is tested directly.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re

from ansible_collections.aws_efs.transit.plugins.module_utils import _policy_eval as ev
from ansible_collections.aws_efs.transit.plugins.module_utils._ids import FS_ID_PATTERN, FS_ID_RE

MAX_POLICY_CHARS = 20000
DEFAULT_VERSION = "2012-10-17"
KNOWN_VERSIONS = ("2012-10-17", "2008-10-17")

# Every statement this module generates carries a Sid starting with SID_PREFIX; that is how a
# later run recognises (and may replace) what an earlier run wrote.
SID_PREFIX = "EfsTransit"
SID_ALLOW_VIA_MOUNT_TARGET = SID_PREFIX + "AllowViaMountTarget"
SID_DENY_INSECURE_TRANSPORT = SID_PREFIX + "DenyInsecureTransport"
SID_GRANT_PREFIX = SID_PREFIX + "Grant"

ACTION_MOUNT = "elasticfilesystem:ClientMount"
ACTION_WRITE = "elasticfilesystem:ClientWrite"
ACTION_ROOT = "elasticfilesystem:ClientRootAccess"
CLIENT_ACTIONS = (ACTION_ROOT, ACTION_WRITE, ACTION_MOUNT)
_SHORT_ACTIONS = {a.split(":", 1)[1].lower(): a for a in CLIENT_ACTIONS}

PRESETS = ("enforce_in_transit_encryption", "prevent_root_access", "enforce_read_only", "prevent_anonymous_access")
# Which action of the console's paired Allow each option removes.
_PRESET_REMOVES = {
    "prevent_root_access": ACTION_ROOT,
    "enforce_read_only": ACTION_WRITE,
    "prevent_anonymous_access": ACTION_MOUNT,
}

_FS_ARN_RE = re.compile(
    r"^arn:(aws[a-z-]*):elasticfilesystem:([a-z0-9-]+):(\d{12}):file-system/(" + FS_ID_PATTERN + r")\Z"
)
_ACCOUNT_RE = re.compile(r"^\d{12}\Z")
_PRINCIPAL_ARN_RE = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::(\d{12}):\S+\Z")
_ROOT_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root\Z")
_ACTION_RE = re.compile(r"^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)\Z")
_EFS_ACTION_RE = re.compile(r"^elasticfilesystem:[A-Za-z*?]+\Z", re.IGNORECASE)
# The service names statements that have no Sid "efs-statement-<uuid>" (as does the console).
_SERVICE_SID_RE = re.compile(r"^efs-statement-[0-9A-Fa-f-]+\Z")

_TOP_KEYS = ("Version", "Id", "Statement")
_STATEMENT_KEYS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)


class PolicyError(ValueError):
    """A policy, option or combination of options that must not reach the API."""


# ---------------------------------------------------------------------------
# Input parsing and validation


def parse_file_system_id(value):
    """Return (file system id, region from the ARN or None) for an fs- id or a file system ARN."""
    if not isinstance(value, str) or not value:
        raise PolicyError("file_system_id must be a file system id (fs-...) or a file system ARN")
    value = value.strip()
    if FS_ID_RE.match(value):
        return value, None
    match = _FS_ARN_RE.match(value)
    if match:
        return match.group(4), match.group(2)
    raise PolicyError(
        f"file_system_id {value!r} is malformed: expected fs- followed by 8 to 40 lower-case hex digits, "
        "or arn:aws:elasticfilesystem:REGION:ACCOUNT:file-system/fs-..."
    )


def load_policy(value):
    """Return a policy document (a new dict) from a dict or a JSON string; validate it."""
    if isinstance(value, (str, bytes)):
        try:
            doc = json.loads(value)
        except ValueError as e:
            raise PolicyError(f"policy is not valid JSON: {e}") from None
        except RecursionError:
            raise PolicyError("policy is nested too deeply") from None
    else:
        try:
            doc = copy.deepcopy(value)
        except RecursionError:
            raise PolicyError("policy is nested too deeply") from None
    validate_policy(doc)
    return doc


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def statements_of(doc):
    """The Statement element as a list (the grammar allows a single object)."""
    if not doc:
        return []
    return _as_list(doc.get("Statement", []))


def validate_principal(value, where="principal"):
    """Accept '*', a 12-digit account id, or an IAM/STS ARN; raise PolicyError naming the value."""
    if not isinstance(value, str):
        raise PolicyError(f"{where}: principal must be a string, got {type(value).__name__}")
    if value == "*" or _ACCOUNT_RE.match(value) or _PRINCIPAL_ARN_RE.match(value):
        return value
    raise PolicyError(
        f"{where}: principal {value!r} is not '*', a 12-digit account id or an IAM ARN (arn:aws:iam::ACCOUNT:...)"
    )


def _validate_principal_element(value, where):
    if value == "*":
        return
    if not isinstance(value, dict) or not value:
        raise PolicyError(f'{where}: Principal must be "*" or an object such as {{"AWS": "*"}}')
    for kind, ids in value.items():
        items = _as_list(ids)
        if not isinstance(kind, str):
            raise PolicyError(f"{where}: Principal type {kind!r} must be a string such as AWS")
        if not items:
            raise PolicyError(f"{where}: Principal {kind} is empty")
        for item in items:
            if kind == "AWS":
                validate_principal(item, where)
            elif not isinstance(item, str) or not item:
                raise PolicyError(f"{where}: Principal {kind} must hold strings")


def validate_policy(doc):
    """Raise PolicyError naming the first problem of a user-supplied policy document."""
    if not isinstance(doc, dict):
        raise PolicyError(f"policy must be a JSON object, not {type(doc).__name__}")
    unknown = [str(k) for k in doc if k not in _TOP_KEYS]
    if unknown:
        raise PolicyError(
            f"policy has unknown top-level element(s) {', '.join(sorted(unknown))}; allowed: {', '.join(_TOP_KEYS)}"
        )
    if "Version" in doc and doc["Version"] not in KNOWN_VERSIONS:
        raise PolicyError(f"policy Version {doc['Version']!r} is not one of {', '.join(KNOWN_VERSIONS)}")
    if "Id" in doc and not isinstance(doc["Id"], str):
        raise PolicyError("policy Id must be a string")
    if "Statement" not in doc:
        raise PolicyError("policy has no Statement")
    statements = statements_of(doc)
    if not statements:
        raise PolicyError("policy Statement is empty")
    seen = {}
    for index, st in enumerate(statements, 1):
        where = f"policy statement {index}"
        if not isinstance(st, dict):
            raise PolicyError(f"{where} must be an object")
        if "Sid" in st:
            if not isinstance(st["Sid"], str):
                raise PolicyError(f"{where}: Sid must be a string")
            where = f"policy statement {index} (Sid {st['Sid']!r})"
            if st["Sid"] in seen:
                raise PolicyError(f"policy uses Sid {st['Sid']!r} twice (statements {seen[st['Sid']]} and {index})")
            seen[st["Sid"]] = index
        unknown = [str(k) for k in st if k not in _STATEMENT_KEYS]
        if unknown:
            raise PolicyError(f"{where} has unknown element(s) {', '.join(sorted(unknown))}")
        if st.get("Effect") not in ("Allow", "Deny"):
            raise PolicyError(f"{where}: Effect must be \"Allow\" or \"Deny\", got {st.get('Effect')!r}")
        if ("Action" in st) == ("NotAction" in st):
            raise PolicyError(f"{where} needs exactly one of Action or NotAction")
        actions = _as_list(st.get("Action", st.get("NotAction")))
        if not actions:
            raise PolicyError(f"{where}: Action is empty")
        for action in actions:
            if not isinstance(action, str) or not _ACTION_RE.match(action):
                raise PolicyError(f'{where}: action {action!r} is not "*" or service:Name')
        if ("Principal" in st) == ("NotPrincipal" in st):
            raise PolicyError(
                f"{where} needs exactly one of Principal or NotPrincipal (a file system policy is a resource policy)"
            )
        _validate_principal_element(st.get("Principal", st.get("NotPrincipal")), where)
        for key in ("Resource", "NotResource"):
            if key in st and not all(isinstance(r, str) and r for r in _as_list(st[key])):
                raise PolicyError(f"{where}: {key} must be a string or a list of strings")
        if "Resource" in st and "NotResource" in st:
            raise PolicyError(f"{where} may have Resource or NotResource, not both")
        if "Condition" in st:
            _validate_condition(st["Condition"], where)


def _validate_condition(cond, where):
    example = '{"Bool": {"aws:SecureTransport": "true"}}'
    if not isinstance(cond, dict):
        raise PolicyError(f"{where}: Condition must map operators to objects, e.g. {example}")
    for operator, clauses in cond.items():
        if not isinstance(operator, str) or not isinstance(clauses, dict) or not clauses:
            raise PolicyError(f"{where}: Condition must map operators to objects, e.g. {example}")
        for key, values in clauses.items():
            items = _as_list(values)
            if not isinstance(key, str) or not items:
                raise PolicyError(f"{where}: Condition {operator} must map condition keys to values")
            for item in items:
                if not isinstance(item, (str, bool, int, float)):
                    raise PolicyError(
                        f"{where}: Condition {operator} {key}: values must be strings, booleans or numbers, "
                        f"not {type(item).__name__}"
                    )


def normalise_action(name, where="grants"):
    """ClientMount / clientmount / elasticfilesystem:clientmount -> elasticfilesystem:ClientMount."""
    if not isinstance(name, str) or not name:
        raise PolicyError(f"{where}: action must be a non-empty string")
    short = name.split(":", 1)[1] if name.lower().startswith("elasticfilesystem:") else name
    if short.lower() in _SHORT_ACTIONS:
        return _SHORT_ACTIONS[short.lower()]
    if ":" in name and _EFS_ACTION_RE.match(name):
        return "elasticfilesystem:" + short
    raise PolicyError(
        f"{where}: unknown action {name!r}; use ClientMount, ClientWrite, ClientRootAccess "
        "or a full elasticfilesystem:Action name"
    )


def canonical_principal_id(value):
    """The account id for an account's root ARN in any partition, else the value itself."""
    match = _ROOT_ARN_RE.match(value) if isinstance(value, str) else None
    return match.group(1) if match else value


# ---------------------------------------------------------------------------
# Building statements


def _preset_allow(actions):
    return {
        "Sid": SID_ALLOW_VIA_MOUNT_TARGET,
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": list(actions),
        "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
    }


def _preset_deny():
    return {
        "Sid": SID_DENY_INSECURE_TRANSPORT,
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def preset_statements(options):
    """The console's preconfigured options as statements, for a file system without a policy.

    options maps preset names to True/False/None. Any true option yields the paired Allow (any
    principal, via a mount target) minus the actions the options remove;
    enforce_in_transit_encryption adds the Deny of everything without TLS.
    """
    doc, dummy = build_desired(None, None, options, None, True)
    return doc["Statement"]


def grant_sid(principal):
    """Stable Sid for a grant: derived from the principal, so reordering grants changes nothing."""
    digest = hashlib.sha256(canonical_principal_id(principal).encode("utf-8")).hexdigest()[:10]
    return f"{SID_GRANT_PREFIX}{digest}"


def grant_statements(grants):
    """One Allow per grant: {principal, actions} with short or full action names."""
    statements = []
    seen = {}
    for index, grant in enumerate(grants or [], 1):
        where = f"grants[{index - 1}]"
        if not isinstance(grant, dict):
            raise PolicyError(f"{where} must be a dict with principal and actions")
        principal = validate_principal(grant.get("principal"), where)
        key = canonical_principal_id(principal)
        if key in seen:
            raise PolicyError(
                f"{where}: principal {principal!r} is already granted by grants[{seen[key]}]; list all its actions in one grant"
            )
        seen[key] = index - 1
        actions = grant.get("actions")
        if not actions:
            raise PolicyError(f"{where}: actions must list at least one action")
        normalised = []
        for action in _as_list(actions):
            full = normalise_action(action, where)
            if full not in normalised:
                normalised.append(full)
        statements.append(
            {
                "Sid": grant_sid(principal),
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": normalised,
            }
        )
    return statements


# ---------------------------------------------------------------------------
# Merge / purge


def is_generated_sid(sid):
    return isinstance(sid, str) and sid.startswith(SID_PREFIX)


def is_grant_sid(sid):
    return isinstance(sid, str) and sid.startswith(SID_GRANT_PREFIX)


_ALLOW_SHAPE = {
    "Effect": "Allow",
    "Principal": {"AWS": ["*"]},
    "Condition": {"Bool": {"elasticfilesystem:accessedviamounttarget": ["true"]}},
}
_DENY_SHAPE = {
    "Effect": "Deny",
    "Principal": {"AWS": ["*"]},
    "Action": ["*"],
    "Condition": {"Bool": {"aws:securetransport": ["false"]}},
}


def preset_role(st, fs_id=None):
    """Which preset statement this is by meaning, whatever its Sid: ("deny", None), ("allow", actions) or
    (None, None). The console's, Terraform's and this module's statements all count."""
    if not isinstance(st, dict):
        return None, None
    canon = canonical_statement({k: v for k, v in st.items() if k != "Sid"}, fs_id)
    if canon == _DENY_SHAPE:
        return "deny", None
    actions = canon.pop("Action", None)
    known = {a.lower(): a for a in CLIENT_ACTIONS}
    if canon == _ALLOW_SHAPE and actions and all(a in known for a in actions):
        return "allow", {known[a] for a in actions}
    return None, None


def _preset_plan(current_presets, options):
    """What the preset statements should be: (want the Deny, the Allow's actions or None for no Allow).

    A preset the task does not mention (None) keeps what the current policy says; True adds,
    False removes. The paired Allow goes only when every preset is given as false."""
    roles = [role for role, dummy in current_presets]
    allows = [actions for role, actions in current_presets if role == "allow"]
    eite = options.get("enforce_in_transit_encryption")
    want_deny = eite is True or (eite is None and "deny" in roles)
    actions = set().union(*[a for a in allows if a is not None]) if any(a is not None for a in allows) else None
    if actions is None:
        actions = set(CLIENT_ACTIONS)
    for name, action in _PRESET_REMOVES.items():
        if options.get(name) is True:
            actions.discard(action)
        elif options.get(name) is False:
            actions.add(action)
    every_false = all(options.get(name) is False for name in PRESETS)
    want_allow = any(options.get(name) is True for name in PRESETS) or ("allow" in roles and not every_false)
    return want_deny, ([a for a in CLIENT_ACTIONS if a in actions] if want_allow and actions else None)


def build_desired(current, given, options, grants, purge, fs_id=None):
    """The policy this task wants, from the current policy (or None), the given one (or None), the
    preset options (name -> True/False/None) and the grant statements (None: grants not given).

    Managed statements of the current policy: those whose Sid is the Sid of a given statement;
    grant statements (Sid EfsTransitGrant...) when grants are given; and the preset statements,
    recognised by meaning or by their EfsTransit Sid, which are edited in place, kept verbatim
    when already right, or dropped. All other statements are kept unless purge is true; a kept
    statement equal in meaning to a wanted one is not duplicated. Returns (policy, kept statements).
    """
    options = options or {}
    given_statements = statements_of(given) if given else []
    if any(options.get(name) is not None for name in PRESETS) or grants is not None:
        for st in given_statements:
            if is_generated_sid(st.get("Sid")):
                raise PolicyError(
                    f"policy statement Sid {st['Sid']!r} uses the prefix {SID_PREFIX!r} reserved for presets and grants; "
                    "rename it or drop the preset/grant options"
                )
    given_sids = {s.get("Sid") for s in given_statements if s.get("Sid") is not None}
    kept, presets = [], []  # presets: [(position, statement, role, actions)]
    body = []  # the current statements that stay, in their order (None marks a preset slot)
    for st in [] if purge or not current else statements_of(current):
        if not isinstance(st, dict):
            continue
        sid = st.get("Sid")
        if sid is not None and sid in given_sids:
            continue
        if grants is not None and is_grant_sid(sid):
            continue
        role, actions = preset_role(st, fs_id)
        if role is None and sid in (SID_ALLOW_VIA_MOUNT_TARGET, SID_DENY_INSECURE_TRANSPORT):
            role = "allow" if sid == SID_ALLOW_VIA_MOUNT_TARGET else "deny"
        if role:
            presets.append((len(body), st, role, actions))
            body.append(None)
        else:
            body.append(st)
    want_deny, allow_actions = _preset_plan([(r, a) for dummy, dummy2, r, a in presets], options)

    generated = []
    for role, wanted in (("allow", allow_actions), ("deny", want_deny)):
        mine = [p for p in presets if p[2] == role]
        if not wanted:
            continue
        # Keep (or edit) the first current statement of this role; it keeps its Sid and Resource.
        # (A statement recognised only by its EfsTransit Sid is regenerated instead.)
        if role == "deny":
            shaped = [p for p in mine if preset_role(p[1], fs_id)[0] == "deny"]
        else:
            shaped = [p for p in mine if p[3] is not None]
        if shaped:
            position, st = shaped[0][0], copy.deepcopy(shaped[0][1])
            if role == "allow" and shaped[0][3] != set(allow_actions):
                st["Action"] = list(allow_actions)
            body[position] = st
        elif role == "allow":
            generated.append(_preset_allow(allow_actions))
        else:
            generated.append(_preset_deny())

    wanted = [copy.deepcopy(s) for s in given_statements] + generated + [copy.deepcopy(s) for s in grants or []]
    sids = {}
    for st in wanted + [s for s in body if s is not None]:
        sid = st.get("Sid")
        if sid is not None and sid in sids:
            raise PolicyError(f"Sid {sid!r} would appear twice in the policy")
        sids[sid] = True
    wanted_canon = [canonical_statement(s, fs_id) for s in wanted]
    statements = []
    originals = {p[0]: p[1] for p in presets}
    for position, st in enumerate(body):
        if st is None:
            continue
        if position in originals:
            if st == originals[position]:
                kept.append(copy.deepcopy(st))  # a preset statement carried over unchanged
        else:
            if canonical_statement(st, fs_id) in wanted_canon:
                continue
            kept.append(copy.deepcopy(st))
        statements.append(st)

    doc = {"Version": DEFAULT_VERSION}
    if given and "Version" in given:
        doc["Version"] = given["Version"]
    elif not purge and current:
        # The current policy's Version, even none (which means 2008-10-17): the task did not ask to change it.
        doc.pop("Version")
        if current.get("Version"):
            doc["Version"] = current["Version"]
    if given and "Id" in given:
        doc["Id"] = given["Id"]
    elif not purge and current and current.get("Id"):
        doc["Id"] = current["Id"]
    doc["Statement"] = statements + wanted
    return doc, kept


# ---------------------------------------------------------------------------
# Canonical form and comparison


def _canon_scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _canon_principal(value):
    if value == "*":
        value = {"AWS": "*"}
    if not isinstance(value, dict):
        return value
    out = {}
    for kind, ids in value.items():
        items = [canonical_principal_id(_canon_scalar(i)) for i in _as_list(ids)]
        out[kind] = sorted(set(items), key=str)
    return out


def _canon_condition(value):
    if not isinstance(value, dict):
        return value
    out = {}
    for operator, clauses in value.items():
        if not isinstance(clauses, dict):
            out[operator] = clauses
            continue
        # Condition keys are case-insensitive; Bool/Null values are booleans written as strings.
        boolean = operator.split(":")[-1].replace("IfExists", "") in ("Bool", "Null")
        canon = {}
        for key, values in clauses.items():
            items = [_canon_scalar(v) for v in _as_list(values)]
            if boolean:
                items = [v.lower() if isinstance(v, str) else v for v in items]
            canon[str(key).lower()] = sorted(set(items), key=str)
        out[operator] = canon
    return out


def _is_own_arn(resource, fs_id):
    return (
        bool(fs_id)
        and re.match(
            r"^arn:aws[a-z-]*:elasticfilesystem:[a-z0-9-]+:\d{12}:file-system/" + re.escape(fs_id) + r"\Z",
            str(resource),
        )
        is not None
    )


def canonical_statement(st, fs_id=None):
    """A statement in a form where equal meaning gives equal data.

    The service fills in what a request left out: a Sid "efs-statement-<uuid>" and the file
    system's own ARN as Resource. Both are dropped here (the latter only when fs_id is known).
    """
    if not isinstance(st, dict):
        return st
    out = {}
    for key, value in st.items():
        if key == "Sid" and isinstance(value, str) and _SERVICE_SID_RE.match(value):
            continue
        if key == "Resource" and all(_is_own_arn(r, fs_id) for r in _as_list(value)):
            continue
        if key in ("Principal", "NotPrincipal"):
            out[key] = _canon_principal(value)
        elif key in ("Action", "NotAction"):
            # IAM action names are case-insensitive.
            out[key] = sorted({str(a).lower() for a in _as_list(value)})
        elif key in ("Resource", "NotResource"):
            out[key] = sorted({str(r) for r in _as_list(value)})
        elif key == "Condition":
            out[key] = _canon_condition(value)
        else:
            out[key] = _canon_scalar(value)
    return out


def canonical_policy(doc, fs_id=None, ignore_id=False):
    """Canonical form of a whole policy; None for no policy. Statement order does not matter.

    ignore_id: the caller does not care about Id (the service sets one when a request has none).
    """
    if not doc:
        return None
    statements = [canonical_statement(s, fs_id) for s in statements_of(doc)]
    statements.sort(key=lambda s: json.dumps(s, sort_keys=True))
    return {
        "Version": doc.get("Version", "2008-10-17"),
        "Id": None if ignore_id else doc.get("Id"),
        "Statement": statements,
    }


def policies_equal(a, b, fs_id=None, ignore_id=False):
    return canonical_policy(a, fs_id, ignore_id) == canonical_policy(b, fs_id, ignore_id)


def policy_satisfied(current, desired, fs_id=None):
    """Whether the current policy already means what desired asks for (an Id only counts when desired has one)."""
    return policies_equal(current, desired, fs_id, ignore_id=bool(desired) and "Id" not in desired)


def serialise(doc):
    """The text sent to PutFileSystemPolicy (compact: the 20,000-character limit counts it)."""
    return json.dumps(doc, separators=(",", ":"))


def check_size(doc):
    size = len(serialise(doc))
    if size > MAX_POLICY_CHARS:
        raise PolicyError(f"policy is {size} characters once serialised; EFS accepts at most {MAX_POLICY_CHARS}")
    return size


def pretty(doc):
    """Stable text for diff output."""
    return json.dumps(doc, indent=2, sort_keys=True) + "\n" if doc else ""


# ---------------------------------------------------------------------------
# What the result must mean: lockout and the preset options, checked with the evaluator


def mount_lockout_reason(doc, fs_id=None, region=None):
    """Why no NFS client could mount under this policy (conditions included), or None."""
    verdict = ev.evaluate(doc, fs_id=fs_id, region=region)
    if verdict["clients_can_mount"] is not False:
        return None
    denied = [r for r in verdict["reasons"] if r.startswith("no client can mount")]
    return (
        (denied[0] if denied else "no client can mount")
        + "; an explicit policy replaces EFS's default allow, so only clients granted ClientMount by identity-based "
        "IAM policies could mount"
    )


_PRESET_FORBIDS = {
    "prevent_root_access": (ACTION_ROOT, False),
    "enforce_read_only": (ACTION_WRITE, False),
    "prevent_anonymous_access": (ACTION_MOUNT, True),
}


def preset_violations(doc, options, fs_id=None, region=None):
    """What a true preset option forbids but the policy still allows, naming the statements; [] when none.

    prevent_root_access and enforce_read_only: no principal the policy does not name may use root / write;
    prevent_anonymous_access: anonymous clients may not mount; enforce_in_transit_encryption: the verdict
    enforces TLS."""
    problems = []
    try:
        for name, (action, anonymous_only) in _PRESET_FORBIDS.items():
            if options.get(name) is not True:
                continue
            statements = ev.allowed_for(doc, action, fs_id=fs_id, region=region, anonymous_only=anonymous_only)
            if statements:
                who = "anonymous clients" if anonymous_only else "principals the policy does not name"
                problems.append(
                    f"{name}: statement {', '.join(statements)} still allows {action} to {who}; "
                    "change it (give the statement with its Sid in policy) or drop it (purge_statements)"
                )
    except ev.Undecided as e:
        problems.append(f"cannot check the preset options on this policy: {e}")
    if options.get("enforce_in_transit_encryption") is True:
        verdict = ev.evaluate(doc, fs_id=fs_id, region=region)
        if verdict["enforces_tls"] is not True:
            problems.append(
                "enforce_in_transit_encryption: the policy would not enforce TLS: " + "; ".join(verdict["reasons"])
            )
    return problems
