"""Typed error tree for domain and use-case code, and its mapping to ``google.rpc.Status``.

Domain code raises these anywhere; one server interceptor (``ErrorInterceptor`` in
``rhip.kit.server``) maps them to a gRPC status with ``ErrorInfo`` and ``BadRequest`` details,
and ``from_rpc_error`` turns a client-side ``grpc.RpcError`` back into the same types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status


@dataclass(frozen=True)
class FieldViolation:
    """One bad field: ``field`` is the request path (``tenant.credit_code``)."""

    field: str
    description: str


class RhipError(Exception):
    """Base of every error a caller may see. ``reason`` is a stable UPPER_SNAKE code."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN
    default_reason = "UNKNOWN"

    def __init__(
        self,
        message: str = "",
        *,
        reason: str | None = None,
        violations: Sequence[FieldViolation] = (),
        metadata: Mapping[str, str] | None = None,
        retry_after_seconds: float | None = None,
        domain: str | None = None,
    ) -> None:
        self.message = message or (violations[0].description if violations else self.default_reason)
        super().__init__(self.message)
        self.reason = reason or self.default_reason
        self.violations = tuple(violations)
        self.metadata = dict(metadata or {})
        self.retry_after_seconds = retry_after_seconds
        self.domain = domain

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reason}: {self.message})"


class InvalidArgument(RhipError):
    code = grpc.StatusCode.INVALID_ARGUMENT
    default_reason = "INVALID_ARGUMENT"


class Unauthenticated(RhipError):
    code = grpc.StatusCode.UNAUTHENTICATED
    default_reason = "UNAUTHENTICATED"


class PermissionDenied(RhipError):
    code = grpc.StatusCode.PERMISSION_DENIED
    default_reason = "PERMISSION_DENIED"


class NotFound(RhipError):
    code = grpc.StatusCode.NOT_FOUND
    default_reason = "NOT_FOUND"


class AlreadyExists(RhipError):
    code = grpc.StatusCode.ALREADY_EXISTS
    default_reason = "ALREADY_EXISTS"


class FailedPrecondition(RhipError):
    code = grpc.StatusCode.FAILED_PRECONDITION
    default_reason = "FAILED_PRECONDITION"


class Aborted(RhipError):
    code = grpc.StatusCode.ABORTED
    default_reason = "ABORTED"


class ResourceExhausted(RhipError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    default_reason = "RESOURCE_EXHAUSTED"


class Unavailable(RhipError):
    code = grpc.StatusCode.UNAVAILABLE
    default_reason = "UNAVAILABLE"


class DeadlineExceeded(RhipError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED
    default_reason = "DEADLINE_EXCEEDED"


class Internal(RhipError):
    code = grpc.StatusCode.INTERNAL
    default_reason = "INTERNAL"


_BY_CODE: dict[grpc.StatusCode, type[RhipError]] = {
    cls.code: cls
    for cls in (
        InvalidArgument,
        Unauthenticated,
        PermissionDenied,
        NotFound,
        AlreadyExists,
        FailedPrecondition,
        Aborted,
        ResourceExhausted,
        Unavailable,
        DeadlineExceeded,
        Internal,
    )
}


def invalid(field: str, description: str, reason: str = "INVALID_ARGUMENT") -> InvalidArgument:
    """Shorthand for the most common error: one bad field."""
    return InvalidArgument(
        description, reason=reason, violations=[FieldViolation(field, description)]
    )


# What one error may carry to the caller. Its details travel in a trailer (HTTP/2 header,
# base64) and its message in ``grpc-message`` (percent-encoded: a Chinese character is 9
# bytes); beyond grpc's metadata limit (8 KB soft, 16 KB hard) the caller gets
# RESOURCE_EXHAUSTED "Stream removed" instead of the error (issue 12: 10,000 violations made
# 557 KB). Strings the caller sent may be echoed in descriptions, so those are cut too.
MAX_VIOLATIONS = 50
MAX_VIOLATION_BYTES = 3000  # UTF-8 bytes of fields and descriptions, all violations together
MAX_DESCRIPTION_CHARS = 200
MAX_FIELD_CHARS = 200
MAX_MESSAGE_CHARS = 200
MAX_SUMMARY_VIOLATIONS = 5  # violations named in the message of a Violations error


def clip(text: str, limit: int = MAX_DESCRIPTION_CHARS) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis says it was cut): for any string the
    caller sent that an error description echoes back."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _deliverable(violations: Sequence[FieldViolation]) -> list[FieldViolation]:
    """The first violations (at most ``MAX_VIOLATIONS``, clipped, within
    ``MAX_VIOLATION_BYTES``), and one more saying how many were left out."""
    kept: list[FieldViolation] = []
    budget = MAX_VIOLATION_BYTES
    for v in violations[:MAX_VIOLATIONS]:
        clipped = FieldViolation(clip(v.field, MAX_FIELD_CHARS), clip(v.description))
        budget -= len(clipped.field.encode()) + len(clipped.description.encode())
        if budget < 0 and kept:
            break
        kept.append(clipped)
    if len(violations) > len(kept):
        more = len(violations) - len(kept)
        kept.append(FieldViolation("", f"and {more} more violations not listed"))
    return kept


def _pack(message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def to_status(error: RhipError, domain: str) -> grpc.Status:
    """The ``grpc.Status`` (with rich details in ``grpc-status-details-bin``) for an error."""
    return rpc_status.to_status(status_message(error, domain))


def status_message(error: RhipError, domain: str) -> status_pb2.Status:
    """The ``google.rpc.Status`` for an error: ErrorInfo, BadRequest and RetryInfo details
    (also what the gateway's HTTP listener writes as JSON)."""
    details = [
        _pack(
            error_details_pb2.ErrorInfo(
                reason=error.reason, domain=error.domain or domain, metadata=error.metadata
            )
        )
    ]
    if error.violations:
        details.append(
            _pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(
                            field=v.field, description=v.description
                        )
                        for v in _deliverable(error.violations)
                    ]
                )
            )
        )
    if error.retry_after_seconds is not None:
        delay = duration_pb2.Duration()
        delay.FromMilliseconds(int(error.retry_after_seconds * 1000))
        details.append(_pack(error_details_pb2.RetryInfo(retry_delay=delay)))
    return status_pb2.Status(
        code=getattr(code_pb2, error.code.name),
        message=clip(error.message, MAX_MESSAGE_CHARS),
        details=details,
    )


def from_rpc_error(error: grpc.RpcError) -> RhipError:
    """Turn a client-side ``RpcError`` back into the typed error the server raised."""
    code = error.code() if callable(getattr(error, "code", None)) else grpc.StatusCode.UNKNOWN
    cls = _BY_CODE.get(code, RhipError)
    status = rpc_status.from_call(error) if hasattr(error, "trailing_metadata") else None
    reason, domain, metadata, retry = None, None, {}, None
    violations: list[FieldViolation] = []
    for detail in status.details if status else []:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, domain, metadata = info.reason, info.domain, dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations = [FieldViolation(v.field, v.description) for v in bad.field_violations]
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info_retry = error_details_pb2.RetryInfo()
            detail.Unpack(info_retry)
            retry = info_retry.retry_delay.ToMilliseconds() / 1000
    message = error.details() if callable(getattr(error, "details", None)) else str(error)
    result = cls(
        message or "",
        reason=reason,
        violations=violations,
        metadata=metadata,
        retry_after_seconds=retry,
        domain=domain,
    )
    if cls is RhipError:
        result.code = code
    return result


class Violations:
    """Collects every bad field of a request so the caller learns them all at once.

    ``check`` runs a validator and keeps its violations instead of raising; ``raise_if_any``
    raises one INVALID_ARGUMENT whose reason is the first problem's.
    """

    def __init__(self) -> None:
        self._items: list[FieldViolation] = []
        self._reason: str | None = None

    def check(self, validator, *args, **kwargs):
        try:
            return validator(*args, **kwargs)
        except InvalidArgument as error:
            self._items.extend(error.violations)
            self._reason = self._reason or error.reason
            return None

    def add(self, field: str, description: str, reason: str) -> None:
        self._items.append(FieldViolation(field, description))
        self._reason = self._reason or reason

    def raise_if_any(self) -> None:
        if self._items:
            listed = self._items[:MAX_SUMMARY_VIOLATIONS]
            summary = "; ".join(f"{v.field}: {v.description}" for v in listed)
            if len(self._items) > len(listed):
                summary += f"; and {len(self._items) - len(listed)} more"
            raise InvalidArgument(
                summary,
                reason=self._reason,
                violations=self._items,
            )
