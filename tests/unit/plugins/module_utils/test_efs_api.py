# -*- coding: utf-8 -*-
from __future__ import annotations

import json

import botocore.exceptions
import pytest

from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.aws_efs.transit.plugins.module_utils import _efs_api as api

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "elasticfilesystem:ClientMount"}],
}


def client_error(code, message="boom", operation="DescribeFileSystemPolicy"):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, operation)


class FakeEfs:
    """Answers each method from a script of results/exceptions and records the calls."""

    def __init__(self, **scripts):
        self.scripts = {name: list(items) for name, items in scripts.items()}
        self.calls = []

    def __getattr__(self, name):
        if name not in self.scripts:
            raise AttributeError(name)

        def method(**kwargs):
            self.calls.append((name, kwargs))
            item = self.scripts[name].pop(0)
            if isinstance(item, Exception):
                raise item
            return item

        return method


@pytest.fixture
def no_sleep(monkeypatch):
    slept = []
    monkeypatch.setattr(cloud.time, "sleep", slept.append)
    return slept


def wrapped(fake):
    return RetryingBotoClientWrapper(fake, api.RETRY_DECORATOR)


def test_throttling_exception_is_retried_until_success(no_sleep):
    fake = FakeEfs(
        describe_file_system_policy=[client_error("ThrottlingException")] * 3 + [{"Policy": json.dumps(POLICY)}]
    )
    assert api.describe_policy(wrapped(fake), "fs-12345678") == POLICY
    assert len(fake.calls) == 4
    assert len(no_sleep) == 3


def test_every_operation_retries_throttling(no_sleep):
    fake = FakeEfs(
        put_file_system_policy=[client_error("ThrottlingException"), {"Policy": json.dumps(POLICY)}],
        delete_file_system_policy=[client_error("ThrottlingException"), {}],
    )
    client = wrapped(fake)
    assert api.put_policy(client, "fs-12345678", json.dumps(POLICY)) == POLICY
    assert api.delete_policy(client, "fs-12345678") is True
    assert [name for name, dummy in fake.calls] == ["put_file_system_policy"] * 2 + ["delete_file_system_policy"] * 2


def test_other_errors_are_not_retried_and_keep_the_service_message(no_sleep):
    fake = FakeEfs(
        describe_file_system_policy=[client_error("FileSystemNotFound", "File system 'fs-12345678' does not exist.")]
    )
    with pytest.raises(api.EfsApiError) as err:
        api.describe_policy(wrapped(fake), "fs-12345678")
    assert (err.value.operation, err.value.code) == ("DescribeFileSystemPolicy", "FileSystemNotFound")
    assert err.value.message == "File system 'fs-12345678' does not exist."
    assert len(fake.calls) == 1
    assert no_sleep == []


def test_policy_not_found_means_no_policy(no_sleep):
    fake = FakeEfs(
        describe_file_system_policy=[client_error("PolicyNotFound")],
        delete_file_system_policy=[client_error("PolicyNotFound")],
    )
    assert api.describe_policy(wrapped(fake), "fs-12345678") is None
    assert api.delete_policy(wrapped(fake), "fs-12345678") is False


def test_put_passes_bypass_flag_and_text(no_sleep):
    fake = FakeEfs(put_file_system_policy=[{"Policy": "{}"}])
    api.put_policy(wrapped(fake), "fs-12345678", "TEXT", bypass_lockout_check=True)
    assert fake.calls == [
        (
            "put_file_system_policy",
            {"FileSystemId": "fs-12345678", "Policy": "TEXT", "BypassPolicyLockoutSafetyCheck": True},
        )
    ]


def test_unparsable_service_policy_is_an_api_error():
    with pytest.raises(api.EfsApiError, match="not JSON"):
        api.parse_policy_text("{nope")


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_wait_polls_until_done(no_sleep):
    stale = {"Policy": json.dumps({"Statement": []})}
    fake = FakeEfs(describe_file_system_policy=[stale, stale, {"Policy": json.dumps(POLICY)}])
    clock = Clock()
    policy, polls = api.wait_for_policy(
        wrapped(fake), "fs-12345678", lambda p: p == POLICY, timeout=30, sleep=clock.sleep, clock=clock
    )
    assert policy == POLICY
    assert polls == 3
    assert clock.now == 1.0 + 2.0


def test_wait_times_out(no_sleep):
    fake = FakeEfs(describe_file_system_policy=[client_error("PolicyNotFound")] * 20)
    clock = Clock()
    with pytest.raises(api.WaitTimeout, match="within 10 seconds"):
        api.wait_for_policy(
            wrapped(fake), "fs-12345678", lambda p: p == POLICY, timeout=10, sleep=clock.sleep, clock=clock
        )
    assert clock.now <= 10
    assert len(fake.calls) >= 3


def test_describe_file_systems_follows_every_page(no_sleep):
    pages = [
        {"FileSystems": [{"FileSystemId": "fs-00000001"}], "NextMarker": "m1"},
        client_error("ThrottlingException", operation="DescribeFileSystems"),
        {"FileSystems": [{"FileSystemId": "fs-00000002"}], "NextMarker": "m2"},
        {"FileSystems": [{"FileSystemId": "fs-00000003"}]},
    ]
    fake = FakeEfs(describe_file_systems=pages)
    found, count = api.describe_file_systems(wrapped(fake))
    assert [f["FileSystemId"] for f in found] == ["fs-00000001", "fs-00000002", "fs-00000003"]
    assert count == 3
    assert [kw.get("Marker") for dummy, kw in fake.calls] == [None, "m1", "m1", "m2"]
    assert all(kw["MaxItems"] == 100 for dummy, kw in fake.calls)


def test_run_bounded_keeps_order_and_errors_per_item():
    import threading

    active, peak, lock = [0], [0], threading.Lock()

    def work(n):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            if n == 3:
                raise api.EfsApiError("DescribeFileSystemPolicy", "AccessDenied", "no")
            threading.Event().wait(0.01)
            return n * 10
        finally:
            with lock:
                active[0] -= 1

    results = api.run_bounded(work, range(20), max_workers=4)
    assert [r for r, e in results if e is None] == [n * 10 for n in range(20) if n != 3]
    assert results[3][1].code == "AccessDenied"
    assert 1 < peak[0] <= 4
    assert api.run_bounded(work, [], 4) == []


class _Failed(Exception):
    pass


class FakeModule:
    def __init__(self):
        self.calls = []

    def fail_json_aws(self, exception, msg=None, **kwargs):
        self.calls.append(("fail_json_aws", exception, msg, kwargs))
        raise _Failed()

    def fail_json(self, msg=None, **kwargs):
        self.calls.append(("fail_json", None, msg, kwargs))
        raise _Failed()


def test_api_errors_keep_the_botocore_exception_for_fail_json_aws():
    boto_error = client_error("AccessDenied", "no")

    class Raising:
        def describe_file_system_policy(self, **kwargs):
            raise boto_error

    with pytest.raises(api.EfsApiError) as caught:
        api.describe_policy_text(Raising(), "fs-12345678")
    assert caught.value.cause is boto_error
    module = FakeModule()
    with pytest.raises(_Failed):
        api.fail(module, caught.value, "DescribeFileSystemPolicy for fs-12345678 failed", changed=False)
    kind, exception, msg, kwargs = module.calls[0]
    assert (kind, exception, msg) == ("fail_json_aws", boto_error, "DescribeFileSystemPolicy for fs-12345678 failed")
    assert kwargs == {"changed": False, "error": {"code": "AccessDenied", "message": "no"}}


def test_errors_of_our_own_fail_without_a_botocore_exception():
    module = FakeModule()
    with pytest.raises(_Failed):
        api.fail(module, api.EfsApiError("DescribeFileSystems", "FileSystemNotFound", "gone"), "not found")
    assert module.calls[0][0] == "fail_json"
