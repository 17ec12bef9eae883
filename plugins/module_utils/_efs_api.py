# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EFS file system policy calls: retries on throttling, errors as EfsApiError, waiting."""

from __future__ import annotations

import concurrent.futures
import json
import time

try:
    import botocore
    import botocore.config
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK itself.

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# EFS throttles with ThrottlingException, which AWSRetry does not retry unless told to.
RETRY_ERROR_CODES = ["ThrottlingException"]
RETRY_DECORATOR = AWSRetry.jittered_backoff(
    retries=10, delay=1, max_delay=20, catch_extra_error_codes=RETRY_ERROR_CODES
)


class EfsApiError(Exception):
    """A failed EFS call with the service's error code and message."""

    def __init__(self, operation, code, message, cause=None):
        super().__init__(f"{operation} failed: {code}: {message}")
        self.operation = operation
        self.code = code
        self.message = message
        # The botocore exception, kept for fail_json_aws (request id, HTTP status, boto versions).
        self.cause = cause


def fail(module, error, msg, **result):
    """Fails the module with an EFS error: through fail_json_aws when botocore raised it."""
    extra = dict(result, error=dict(code=error.code, message=error.message))
    if error.cause is not None:
        module.fail_json_aws(error.cause, msg=msg, **extra)
    module.fail_json(msg=msg, **extra)


class WaitTimeout(Exception):
    pass


def efs_client(module, max_pool_connections=None):
    """An EFS client whose calls retry throttling when called with aws_retry=True.

    max_pool_connections: at least as many as the threads that share the client."""
    extra = {}
    if max_pool_connections:
        extra["config"] = botocore.config.Config(max_pool_connections=max_pool_connections)
    return module.client("efs", retry_decorator=RETRY_DECORATOR, **extra)


def _call(client, operation, method, **kwargs):
    try:
        return getattr(client, method)(aws_retry=True, **kwargs)
    except botocore.exceptions.ClientError as e:
        error = e.response.get("Error", {})
        raise EfsApiError(operation, error.get("Code", "Unknown"), error.get("Message", str(e)), e) from None
    except botocore.exceptions.BotoCoreError as e:
        raise EfsApiError(operation, type(e).__name__, str(e), e) from None


def describe_policy_text(client, file_system_id):
    """The policy text as the service returns it, or None when the file system has no policy."""
    try:
        response = _call(client, "DescribeFileSystemPolicy", "describe_file_system_policy", FileSystemId=file_system_id)
    except EfsApiError as e:
        if e.code == "PolicyNotFound":
            return None
        raise
    return response.get("Policy") or None


def parse_policy_text(text):
    """The service's policy text as a dict (None for no policy)."""
    if text is None:
        return None
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise EfsApiError(
            "DescribeFileSystemPolicy", "UnparsablePolicy", f"the service returned a policy that is not JSON: {e}"
        ) from None
    return doc


def describe_policy(client, file_system_id):
    return parse_policy_text(describe_policy_text(client, file_system_id))


def put_policy(client, file_system_id, policy_text, bypass_lockout_check=False):
    response = _call(
        client,
        "PutFileSystemPolicy",
        "put_file_system_policy",
        FileSystemId=file_system_id,
        Policy=policy_text,
        BypassPolicyLockoutSafetyCheck=bool(bypass_lockout_check),
    )
    return parse_policy_text(response.get("Policy"))


def delete_policy(client, file_system_id):
    """Delete the policy; True when one was deleted, False when there was none."""
    try:
        _call(client, "DeleteFileSystemPolicy", "delete_file_system_policy", FileSystemId=file_system_id)
    except EfsApiError as e:
        if e.code == "PolicyNotFound":
            return False
        raise
    return True


def wait_for_policy(
    client, file_system_id, done, timeout, delay=1.0, max_delay=5.0, sleep=time.sleep, clock=time.monotonic
):
    """Poll DescribeFileSystemPolicy until done(policy dict or None) is true.

    Returns (policy, number of polls); raises WaitTimeout after timeout seconds.
    """
    deadline = clock() + timeout
    polls = 0
    while True:
        policy = describe_policy(client, file_system_id)
        polls += 1
        if done(policy):
            return policy, polls
        if clock() + delay > deadline:
            raise WaitTimeout(
                f"the service did not return the expected policy within {timeout} seconds ({polls} polls)"
            )
        sleep(delay)
        delay = min(delay * 2, max_delay)


def describe_file_systems(client, file_system_id=None, page_size=100):
    """Every file system of the region (DescribeFileSystems page by page, Marker/NextMarker), or the
    one named. Returns (list of FileSystemDescription dicts, number of pages)."""
    found, pages, marker = [], 0, None
    while True:
        kwargs = {"MaxItems": page_size}
        if file_system_id:
            kwargs["FileSystemId"] = file_system_id
        if marker:
            kwargs["Marker"] = marker
        response = _call(client, "DescribeFileSystems", "describe_file_systems", **kwargs)
        pages += 1
        found.extend(response.get("FileSystems", []))
        marker = response.get("NextMarker")
        if not marker or file_system_id:
            return found, pages


def run_bounded(function, items, max_workers):
    """function(item) for every item on at most max_workers threads; results in the order of items.

    Each result is (value, None) or (None, EfsApiError): one failing file system does not stop the others."""

    def guarded(item):
        try:
            return function(item), None
        except EfsApiError as e:
            return None, e

    items = list(items)
    if not items:
        return []
    workers = max(1, min(max_workers, len(items)))
    if workers == 1:
        return [guarded(item) for item in items]
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(guarded, items))
