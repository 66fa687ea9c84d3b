"""Roles follow the deployment's topic prefix; stored passwords are the plugin's PBKDF2 form."""

from __future__ import annotations

import base64
import hashlib

import pytest

from gridwatch_central.broker_accounts import AccountPlan, Credentials
from gridwatch_central.broker_accounts.credentials import hashed_client
from gridwatch_central.broker_accounts.roles import AclType
from gridwatch_contract.topics import Topics


def _acls(plan: AccountPlan, edge_id: str) -> set[tuple[AclType, str]]:
    return {(acl.type, acl.topic) for acl in plan.edge_role(edge_id).acls if acl.allow}


def test_an_edge_role_names_only_that_edge_under_the_deployment_prefix() -> None:
    plan = AccountPlan(Topics("city/haidian"))
    assert _acls(plan, "box-1") == {
        (AclType.PUBLISH_SEND, "city/haidian/v1/alerts/box-1/+/+"),
        (AclType.PUBLISH_SEND, "city/haidian/v1/edges/box-1/status"),
        (AclType.PUBLISH_SEND, "city/haidian/v1/edges/box-1/stats"),
        (AclType.PUBLISH_SEND, "city/haidian/v1/clips/box-1/+/+"),
        (AclType.PUBLISH_SEND, "city/haidian/v1/edges/box-1/responses"),
        (AclType.SUBSCRIBE_LITERAL, "city/haidian/v1/edges/box-1/acks"),
        (AclType.PUBLISH_RECEIVE, "city/haidian/v1/edges/box-1/acks"),
        (AclType.SUBSCRIBE_LITERAL, "city/haidian/v1/edges/box-1/config"),
        (AclType.PUBLISH_RECEIVE, "city/haidian/v1/edges/box-1/config"),
        (AclType.SUBSCRIBE_LITERAL, "city/haidian/v1/edges/box-1/clip_acks"),
        (AclType.PUBLISH_RECEIVE, "city/haidian/v1/edges/box-1/clip_acks"),
        (AclType.SUBSCRIBE_LITERAL, "city/haidian/v1/edges/box-1/requests"),
        (AclType.PUBLISH_RECEIVE, "city/haidian/v1/edges/box-1/requests"),
    }
    # Two deployments on one broker keep separate roles.
    other = AccountPlan(Topics("city/chaoyang"))
    assert plan.edge_role_name("box-1") != other.edge_role_name("box-1")
    assert plan.central_role_name == "city_haidian.central"


def test_only_central_sends_acks_configs_and_requests() -> None:
    plan = AccountPlan(Topics("gw"))
    central = {(acl.type, acl.topic) for acl in plan.central_role().acls}
    assert (AclType.PUBLISH_SEND, "gw/v1/edges/+/acks") in central
    assert (AclType.PUBLISH_SEND, "gw/v1/edges/+/config") in central
    assert (AclType.PUBLISH_SEND, "gw/v1/edges/+/requests") in central
    assert (AclType.SUBSCRIBE_PATTERN, "gw/v1/edges/+/responses") in central
    assert (AclType.SUBSCRIBE_PATTERN, "$share/+/gw/v1/alerts/+/+/+") in central
    assert (AclType.PUBLISH_SEND, "gw/v1/edges/+/clip_acks") in central
    assert (AclType.SUBSCRIBE_PATTERN, "$share/+/gw/v1/clips/+/+/+") in central
    edge_sends = {topic for kind, topic in _acls(plan, "box-1") if kind is AclType.PUBLISH_SEND}
    assert not any(
        topic.endswith(("/acks", "/config", "/requests", "/clip_acks")) for topic in edge_sends
    )


@pytest.mark.parametrize("bad", ["", "a/b", "+", "#", "x" * 65])
def test_edge_ids_that_are_not_one_topic_level_get_no_account(bad: str) -> None:
    with pytest.raises(ValueError, match="edge_id"):
        AccountPlan.edge_username(bad)


def test_stored_passwords_are_pbkdf2_sha512_as_mosquitto_checks_them() -> None:
    entry = hashed_client(Credentials("edge.box-1", "s3cret-password"), ["gw.edge.box-1"])
    salt = base64.b64decode(str(entry["salt"]))
    iterations = entry["iterations"]
    assert isinstance(iterations, int)
    expected = hashlib.pbkdf2_hmac("sha512", b"s3cret-password", salt, iterations)
    assert base64.b64decode(str(entry["password"])) == expected
    assert "s3cret" not in repr(Credentials("u", "s3cret-password"))
