"""moto's server, extended so that EFS file system policies behave like the service.

Stock moto 5.2 lacks DeleteFileSystemPolicy, answers an unknown file system id with HTTP 500,
accepts any text as a policy and returns it byte for byte. This wrapper adds (see README.md):

- DeleteFileSystemPolicy;
- FileSystemNotFound (404) for unknown ids on Describe/Put/DeleteFileSystemPolicy;
- InvalidPolicyException (400) for a policy that is not JSON, not an object, has no Statement,
  has a statement whose Effect is not Allow/Deny, is over 20,000 characters, or (without
  BypassPolicyLockoutSafetyCheck) denies every principal every action without a condition;
- the policy stored re-serialised as the service does: other key order and spacing, "*" principal
  as {"AWS": "*"}, one-item lists as strings, account ids as root ARNs, booleans as strings, and
  an Id, Sids (efs-statement-<uuid>) and Resource (the file system ARN) filled in where missing;
- test-control endpoints under /_emulator/ (call counts, reset, throttling and failure
  injection, stale reads, file system creation, raw policy access).

Run: python efs_emulator.py --port PORT   (tests/emulator/emulator.sh does this for you)
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import signal
import sys
import threading
import uuid
from urllib.parse import parse_qs

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.efs import models as efs_models
from moto.efs import responses as efs_responses
from moto.efs.exceptions import EFSError, FileSystemNotFound, PolicyNotFound
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

MAX_POLICY_CHARS = 20000
API_PREFIX = "/2015-02-01/"
ROUTES = [
    ("POST", re.compile(r"^/2015-02-01/file-systems/?$"), "CreateFileSystem"),
    ("GET", re.compile(r"^/2015-02-01/file-systems/?$"), "DescribeFileSystems"),
    ("DELETE", re.compile(r"^/2015-02-01/file-systems/[^/]+/?$"), "DeleteFileSystem"),
    ("GET", re.compile(r"^/2015-02-01/file-systems/[^/]+/policy/?$"), "DescribeFileSystemPolicy"),
    ("PUT", re.compile(r"^/2015-02-01/file-systems/[^/]+/policy/?$"), "PutFileSystemPolicy"),
    ("DELETE", re.compile(r"^/2015-02-01/file-systems/[^/]+/policy/?$"), "DeleteFileSystemPolicy"),
]


class InvalidPolicyException(EFSError):
    code = 400

    def __init__(self, msg):
        super().__init__("InvalidPolicyException", msg)


# ---------------------------------------------------------------------------
# Test controls shared by the middleware and the backend patches


class Controls:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.calls = collections.Counter()
        self.throttled = collections.Counter()
        self.failed = collections.Counter()
        self.throttle = collections.Counter()  # action -> throttling answers still to give
        self.fail_next_put = None  # error to answer the next Put with
        self.stale_describes = 0  # after a write, this many Describes see the old policy
        self.stale = {}  # fs id -> [old text, Describes left]


CONTROLS = Controls()


# ---------------------------------------------------------------------------
# What the service does with a policy


def _as_list(value):
    return list(value) if isinstance(value, list) else [value]


def _collapse(values):
    return values[0] if len(values) == 1 else values


def _text(value):
    return ("true" if value else "false") if isinstance(value, bool) else value


def _root_arn(principal):
    return (
        f"arn:aws:iam::{principal}:root"
        if isinstance(principal, str) and re.match(r"^\d{12}$", principal)
        else principal
    )


def reserialise(doc, fs_arn):
    """The policy as the service hands it back: same meaning, different text.

    Like the EFS API reference's PutFileSystemPolicy example, it also fills in what the request
    left out: an Id, a Sid per statement, and the file system's ARN as Resource.
    """
    out = {"Id": "1"}
    for key, value in doc.items():
        if key != "Statement":
            out[key] = value
            continue
        statements = []
        for st in _as_list(value):
            new = {"Sid": f"efs-statement-{uuid.uuid4()}"}
            if "Resource" not in st and "NotResource" not in st:
                new["Resource"] = fs_arn
            for k, v in st.items():
                if k in ("Principal", "NotPrincipal"):
                    if v == "*":
                        v = {"AWS": "*"}
                    v = {
                        kind: _collapse([_root_arn(i) if kind == "AWS" else i for i in _as_list(ids)])
                        for kind, ids in v.items()
                    }
                elif k in ("Action", "NotAction", "Resource", "NotResource"):
                    v = _collapse(_as_list(v))
                elif k == "Condition":
                    v = {
                        op: {ck: _collapse([_text(x) for x in _as_list(cv)]) for ck, cv in clauses.items()}
                        for op, clauses in v.items()
                    }
                new[k] = v
            statements.append(new)
        out[key] = statements
    return json.dumps(out, indent=2, sort_keys=True, separators=(",", " : "))


def _denies_everything(st):
    if st.get("Effect") != "Deny" or st.get("Condition"):
        return False
    principal = st.get("Principal")
    everyone = principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS", [])))
    actions = [a.lower() for a in _as_list(st.get("Action", []))]
    return everyone and any(a in ("*", "elasticfilesystem:*", "elasticfilesystem:putfilesystempolicy") for a in actions)


def check_policy(text, bypass):
    """Raise InvalidPolicyException the way the service would; return the parsed document."""
    if not isinstance(text, str) or not text:
        raise InvalidPolicyException("Policy must not be empty.")
    if len(text) > MAX_POLICY_CHARS:
        raise InvalidPolicyException(f"Policy is {len(text)} characters long; the maximum is {MAX_POLICY_CHARS}.")
    try:
        doc = json.loads(text)
    except ValueError:
        raise InvalidPolicyException("Policy contains invalid Json.") from None
    if not isinstance(doc, dict):
        raise InvalidPolicyException("Policy must be a JSON object.")
    if not doc.get("Statement"):
        raise InvalidPolicyException("Policy is missing required field Statement.")
    for st in _as_list(doc["Statement"]):
        if not isinstance(st, dict):
            raise InvalidPolicyException("Policy statement must be a JSON object.")
        if st.get("Effect") not in ("Allow", "Deny"):
            raise InvalidPolicyException(f"Policy statement has an invalid Effect: {st.get('Effect')!r}.")
        if not bypass and _denies_everything(st):
            raise InvalidPolicyException(
                "Policy would lock the principal making this request out of future PutFileSystemPolicy requests. "
                "Set BypassPolicyLockoutSafetyCheck to true to override."
            )
    return doc


# ---------------------------------------------------------------------------
# Backend and response patches


def _file_system(backend, file_system_id):
    fs = backend.file_systems_by_id.get(file_system_id)
    if fs is None:
        raise FileSystemNotFound(file_system_id)
    return fs


def _remember_old(file_system_id, old_text):
    with CONTROLS.lock:
        if CONTROLS.stale_describes:
            CONTROLS.stale[file_system_id] = [old_text, CONTROLS.stale_describes]


def describe_file_system_policy(self, file_system_id):
    fs = _file_system(self, file_system_id)
    policy = fs.file_system_policy
    with CONTROLS.lock:
        stale = CONTROLS.stale.get(file_system_id)
        if stale:
            policy = stale[0]
            stale[1] -= 1
            if stale[1] <= 0:
                del CONTROLS.stale[file_system_id]
    if not policy:
        raise PolicyNotFound(f"File system '{file_system_id}' does not have a file system policy.")
    return policy


def put_file_system_policy(self, file_system_id, policy, bypass_policy_lockout_safety_check):
    fs = _file_system(self, file_system_id)
    doc = check_policy(policy, bool(bypass_policy_lockout_safety_check))
    _remember_old(file_system_id, fs.file_system_policy)
    fs.file_system_policy = reserialise(doc, fs.file_system_arn)


def delete_file_system_policy(self, file_system_id):
    fs = _file_system(self, file_system_id)
    if fs.file_system_policy:
        _remember_old(file_system_id, fs.file_system_policy)
    fs.file_system_policy = None


def response_put_file_system_policy(self):
    file_system_id = self._get_param("FileSystemId")
    self.efs_backend.put_file_system_policy(
        file_system_id=file_system_id,
        policy=self._get_param("Policy"),
        bypass_policy_lockout_safety_check=self._get_param("BypassPolicyLockoutSafetyCheck") or False,
    )
    stored = self.efs_backend.file_systems_by_id[file_system_id].file_system_policy
    return json.dumps({"FileSystemId": file_system_id, "Policy": stored}), {"Content-Type": "application/json"}


def response_delete_file_system_policy(self):
    self.efs_backend.delete_file_system_policy(self._get_param("FileSystemId"))
    return "", {"status": 200, "Content-Type": "application/json"}


_stock_describe_file_systems = efs_responses.EFSResponse.describe_file_systems


def response_describe_file_systems(self):
    """EFS's page size: 100 file systems unless MaxItems says otherwise (stock moto: 10)."""
    if self._get_param("MaxItems") is None:
        stock = self._get_int_param
        self._get_int_param = lambda name, if_none=None: 100 if name == "MaxItems" else stock(name, if_none)
    return _stock_describe_file_systems(self)


def install_patches():
    efs_models.EFSBackend.describe_file_system_policy = describe_file_system_policy
    efs_models.EFSBackend.put_file_system_policy = put_file_system_policy
    efs_models.EFSBackend.delete_file_system_policy = delete_file_system_policy
    efs_responses.EFSResponse.put_file_system_policy = response_put_file_system_policy
    efs_responses.EFSResponse.delete_file_system_policy = response_delete_file_system_policy
    efs_responses.EFSResponse.describe_file_systems = response_describe_file_systems


# ---------------------------------------------------------------------------
# WSGI middleware: counting, injected errors, /_emulator/ control endpoints


def _json_response(start_response, status, body, headers=None):
    data = json.dumps(body).encode("utf-8")
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))] + list(headers or [])
    )
    return [data]


def _error(start_response, status, code, message):
    body = {"ErrorCode": code, "Message": message, "message": message}
    return _json_response(start_response, status, body, [("x-amzn-ErrorType", code)])


def action_of(method, path):
    if not path.startswith(API_PREFIX):
        return None
    for route_method, pattern, action in ROUTES:
        if method == route_method and pattern.match(path):
            return action
    return "Other"


def _backend(region):
    return efs_models.efs_backends[DEFAULT_ACCOUNT_ID][region]


class Emulator:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith("/_emulator/"):
            try:
                return self.control(environ, start_response, method, path[len("/_emulator/") :].strip("/"))
            except (KeyError, ValueError, EFSError) as e:
                return _json_response(start_response, "400 Bad Request", {"error": f"{type(e).__name__}: {e}"})
        action = action_of(method, path)
        if action:
            with CONTROLS.lock:
                CONTROLS.calls[action] += 1
                if CONTROLS.throttle[action] > 0:
                    CONTROLS.throttle[action] -= 1
                    CONTROLS.throttled[action] += 1
                    return _error(start_response, "400 Bad Request", "ThrottlingException", "Rate exceeded")
                if action == "PutFileSystemPolicy" and CONTROLS.fail_next_put:
                    failure, CONTROLS.fail_next_put = CONTROLS.fail_next_put, None
                    CONTROLS.failed[action] += 1
                    return _error(start_response, failure["status"], failure["code"], failure["message"])
        return self.app(environ, start_response)

    def control(self, environ, start_response, method, name):
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        region = query.get("region", "us-east-1")
        ok = "200 OK"
        if name == "health":
            return _json_response(start_response, ok, {"ok": True})
        if name == "calls" and method == "GET":
            with CONTROLS.lock:
                body = {
                    "calls": dict(CONTROLS.calls),
                    "throttled": dict(CONTROLS.throttled),
                    "failed": dict(CONTROLS.failed),
                }
            return _json_response(start_response, ok, body)
        if method != "GET" and name in ("calls/reset", "reset-calls"):
            with CONTROLS.lock:
                CONTROLS.calls.clear()
                CONTROLS.throttled.clear()
                CONTROLS.failed.clear()
            return _json_response(start_response, ok, {"ok": True})
        if method != "GET" and name == "reset":
            from moto.moto_api._internal.models import moto_api_backend

            moto_api_backend.reset()
            with CONTROLS.lock:
                CONTROLS.reset()
            return _json_response(start_response, ok, {"ok": True})
        if method != "GET" and name == "throttle":
            count = int(query.get("count", "1"))
            with CONTROLS.lock:
                CONTROLS.throttle[query["action"]] = count
            return _json_response(start_response, ok, {"action": query["action"], "count": count})
        if method != "GET" and name == "fail-next-put":
            failure = {
                "code": query.get("code", "IncorrectFileSystemLifeCycleState"),
                "status": query.get("status", "409 Conflict"),
                "message": query.get(
                    "message", "File system is not in the available state (injected by the emulator)."
                ),
            }
            if failure["status"].isdigit():
                failure["status"] += " Injected"
            with CONTROLS.lock:
                CONTROLS.fail_next_put = failure
            return _json_response(start_response, ok, failure)
        if method != "GET" and name == "stale-describes":
            count = int(query.get("count", "0"))
            with CONTROLS.lock:
                CONTROLS.stale_describes = count
                CONTROLS.stale.clear()
            return _json_response(start_response, ok, {"count": count})
        if method != "GET" and name == "file-systems":
            count = int(query.get("count", "1"))
            backend = _backend(region)
            prefix = query.get("token", "emulator")
            ids = []
            for dummy in range(count):
                token = f"{prefix}-{len(backend.creation_tokens) + 1}"
                while token in backend.creation_tokens:
                    token += "x"
                fs = backend.create_file_system(
                    creation_token=token,
                    performance_mode="generalPurpose",
                    encrypted=True,
                    kms_key_id=None,
                    throughput_mode="bursting",
                    provisioned_throughput_in_mibps=None,
                    availability_zone_name=None,
                    backup=False,
                    tags=[],
                )
                ids.append(fs.file_system_id)
            return _json_response(start_response, ok, {"FileSystemIds": ids})
        if name == "policy":
            fs = _file_system(_backend(region), query["fs"])
            if method == "GET":
                return _json_response(
                    start_response, ok, {"FileSystemId": query["fs"], "Policy": fs.file_system_policy}
                )
            # Raw write: seeds a policy exactly as given, bypassing validation and re-serialisation.
            length = int(environ.get("CONTENT_LENGTH") or 0)
            fs.file_system_policy = environ["wsgi.input"].read(length).decode("utf-8") or None
            return _json_response(start_response, ok, {"FileSystemId": query["fs"], "Policy": fs.file_system_policy})
        return _json_response(
            start_response, "404 Not Found", {"error": f"unknown control endpoint {method} /_emulator/{name}"}
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    install_patches()
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, Emulator(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
