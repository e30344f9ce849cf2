"""Settings loader, pagination tokens and ids."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

import pytest
from rhip.archives.settings import load_archives_settings
from rhip.cell import build_cell
from rhip.kit.config import ConfigError, load_settings
from rhip.kit.errors import InvalidArgument
from rhip.kit.ids import new_id, uuid7
from rhip.kit.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, parse_page


def test_defaults_and_per_service_database_urls() -> None:
    settings = load_settings({})
    assert settings.development and settings.cell == "320000"
    assert settings.database_url("identity") == "sqlite:///var/320000/identity.db"
    settings = load_settings(
        {"RHIP_IDENTITY_DATABASE_URL": "postgresql://x/y", "RHIP_CELL": "370000"}
    )
    assert settings.database_url("identity") == "postgresql://x/y"
    assert settings.database_url("archives") == "sqlite:///var/370000/archives.db"


def test_the_transfer_escalation_days_default_to_14_and_are_read_from_the_environment() -> None:
    assert load_archives_settings({}).transfer_escalation_days == 14
    env = {"RHIP_ARCHIVES_TRANSFER_ESCALATION_DAYS": "30"}
    assert load_archives_settings(env).transfer_escalation_days == 30
    # carried to the service through the shared settings, which keep only RHIP_* variables
    shared = load_settings({**env, "HOME": "/root"})
    assert load_archives_settings(shared.env).transfer_escalation_days == 30
    assert "HOME" not in shared.env and "RHIP_ARCHIVES" not in repr(shared)


def test_health_port_database_check_and_cell_bulkhead_settings() -> None:
    settings = load_settings({})
    assert settings.health_listen == "" and settings.db_check_timeout_seconds == 1.0
    assert settings.gateway_cell_inflight == 0  # the gateway's default: all workers but one
    settings = load_settings(
        {
            "RHIP_HEALTH_LISTEN": "[::]:50052",
            "RHIP_DB_CHECK_TIMEOUT_MS": "500",
            "RHIP_GATEWAY_CELL_INFLIGHT": "8",
        }
    )
    assert settings.health_listen == "[::]:50052" and settings.db_check_timeout_seconds == 0.5
    assert settings.gateway_cell_inflight == 8


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"RHIP_CELL": "32"}, "RHIP_CELL"),
        ({"RHIP_ENV": "staging"}, "RHIP_ENV"),
        ({"RHIP_SECRET_KEY": "!!"}, "RHIP_SECRET_KEY"),
        ({"RHIP_SECRET_KEY": base64.b64encode(b"short").decode()}, "RHIP_SECRET_KEY"),
        ({"RHIP_ENV": "production"}, "RHIP_SECRET_KEY"),
        ({"RHIP_TRACES_EXPORTER": "jaeger"}, "RHIP_TRACES_EXPORTER"),
        ({"RHIP_DB_CHECK_TIMEOUT_MS": "10"}, "RHIP_DB_CHECK_TIMEOUT_MS"),
        ({"RHIP_GATEWAY_CELL_INFLIGHT": "-1"}, "RHIP_GATEWAY_CELL_INFLIGHT"),
    ],
)
def test_bad_settings_fail_fast_naming_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings(env)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"RHIP_ACCESS_TOKEN_TTL_SECONDS": "soon"}, "RHIP_ACCESS_TOKEN_TTL_SECONDS"),
        ({"RHIP_ACCESS_TOKEN_TTL_SECONDS": "0"}, "RHIP_ACCESS_TOKEN_TTL_SECONDS"),
        ({"RHIP_ARCHIVES_TRANSFER_ESCALATION_DAYS": "two weeks"}, "ESCALATION_DAYS"),
        ({"RHIP_ARCHIVES_TRANSFER_ESCALATION_DAYS": "0"}, "ESCALATION_DAYS"),
        ({"RHIP_ARCHIVES_TRANSFER_ESCALATION_DAYS": "366"}, "ESCALATION_DAYS"),
    ],
)
def test_a_services_bad_setting_fails_the_cell_before_it_starts(
    env: dict[str, str], variable: str, tmp_path: Path
) -> None:
    """Each service reads its own settings when the cell builds it: a bad one stops
    ``rhip serve`` with the variable's name, before anything listens."""
    settings = load_settings({**env, "RHIP_DATA_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match=variable):
        build_cell(settings)


def test_page_tokens_round_trip_and_are_bound_to_the_query() -> None:
    first = parse_page(0, "", "tenants", "regions/320300")
    assert first.size == DEFAULT_PAGE_SIZE and first.after is None
    token = first.next_token("id-42", has_more=True)
    assert first.next_token("id-42", has_more=False) == ""
    following = parse_page(5000, token, "tenants", "regions/320300")
    assert following.after == "id-42" and following.size == MAX_PAGE_SIZE
    with pytest.raises(InvalidArgument) as mismatch:
        parse_page(10, token, "tenants", "regions/320100")
    assert mismatch.value.reason == "PAGE_TOKEN_MISMATCH"


def test_uuid7_ids_are_version_7_unique_and_sorted_by_creation() -> None:
    ids = [uuid7() for _ in range(5000)]
    assert all(i.version == 7 for i in ids)
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert uuid.UUID(new_id()).version == 7
