"""Assertions on gRPC errors: status code, ErrorInfo reason and field violations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from rhip.kit.errors import RhipError, from_rpc_error


def expect_error(
    call: Callable[[], Any],
    code: grpc.StatusCode,
    reason: str | None = None,
    field: str | None = None,
) -> RhipError:
    """Run ``call``; assert it fails with ``code`` (and ``reason``/``field`` when given)."""
    with pytest.raises(grpc.RpcError) as caught:
        call()
    error = from_rpc_error(caught.value)
    assert caught.value.code() == code, f"{caught.value.code()} {error!r}"
    if reason is not None:
        assert error.reason == reason, repr(error)
    if field is not None:
        assert field in [v.field for v in error.violations], repr(error)
    return error
