"""Authenticity (DOMAIN §4.6): the signed code printed on each certificate, and verification by
public-security and other service accounts.

The code is ``BMC1:{number}:{digest}:{cell}:{kid}:{signature}``: the digest is SHA-256 of the
printed fields, the signature the cell's Ed25519 key (rhip.kit.signed_codes, the e-health
card's crypto under its own label), so a scanner with the published keys knows offline that
the cell printed those fields under that number; whether the certificate is still valid needs
VerifyBirthCertificate.

A verification answers authentic / void / replaced / reissued with the current number and the
issue date, nothing else. An unknown number, a wrong name and a forged code all answer
NOT_FOUND alike; a caller's NOT_FOUND answers are counted, and past the limit (enumeration)
every verification of that caller is refused for a while. Every verification is audited (the
name is not: only the number and the result)."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

from rhip.kit.authn import current_principal
from rhip.kit.errors import ResourceExhausted, Violations
from rhip.kit.signed_codes import CodeSigner, verify_code
from rhip.mch.certificates import domain
from rhip.mch.certificates.domain import Certificate, CertificateState
from rhip.mch.certificates.lifecycle import LifecycleUseCases
from rhip.mch.certificates.store import CertificateStore
from rhip.mch.roles import BMC
from rhip.mch.stock.domain import parse_serial

CODE_PREFIX = "BMC1"
SIGNING_LABEL = b"rhip/bmc/ed25519/v1"
RESULTS = {
    CertificateState.VALID: "AUTHENTIC",
    CertificateState.VOID: "VOID",
    CertificateState.REPLACED: "REPLACED",
    CertificateState.REISSUED: "REISSUED",
}


@dataclass(frozen=True)
class Verification:
    result: str  # AUTHENTIC, VOID, REPLACED, REISSUED, NOT_FOUND
    number: str
    issue_date: str = ""
    current_number: str = ""


class MissLimiter:
    """At most ``limit`` NOT_FOUND answers per caller in ``window`` seconds (in this process;
    each replica counts its own, so the limit is per replica)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._misses: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, subject: str, now: float) -> deque[float]:
        misses = self._misses.setdefault(subject, deque())
        while misses and misses[0] <= now - self.window:
            misses.popleft()
        return misses

    def check(self, subject: str) -> None:
        now = time.monotonic()
        with self._lock:
            misses = self._recent(subject, now)
            if len(misses) >= self.limit:
                raise ResourceExhausted(
                    "too many verifications of unknown certificates: try again later",
                    reason="BMC_VERIFY_RATE_LIMITED",
                    retry_after_seconds=max(1.0, misses[0] + self.window - now),
                )

    def miss(self, subject: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(subject, now).append(now)


class VerificationUseCases(LifecycleUseCases):
    signer: CodeSigner
    limiter: MissLimiter

    def signed_code(self, c: Certificate) -> str:
        return self.signer.sign((CODE_PREFIX, c.number, c.printed.digest(), self.cell_code))

    @property
    def cell_code(self) -> str:
        parts = self.cell_path.split("/")[1:]
        return parts[-1].ljust(6, "0")

    def public_keys(self) -> list[dict[str, str]]:
        return self.signer.public_jwks()  # current first, then the retired keys

    def verify(self, number: str, child_name: str, code: str) -> Verification:
        principal = current_principal()
        if not self.authz.scopes(principal.subject, BMC + "VerifyBirthCertificate"):
            raise self.authz.denial(principal, BMC + "VerifyBirthCertificate")
        checks = Violations()
        code = code.strip()
        if code:
            if number or child_name:
                checks.add("signed_code", "give the signed code, or the number and the name",
                           "VERIFY_ONE_WAY")  # fmt: skip
            if len(code) > 300:
                checks.add("signed_code", "at most 300 characters", "TEXT_TOO_LONG")
        else:
            number = checks.check(parse_serial, number, "number") or ""
            child_name = domain.check_text(child_name, "child_name", checks, required=True,
                                           limit=50)  # fmt: skip
        checks.raise_if_any()
        self.limiter.check(principal.subject)
        digest, forged = "", False
        if code:
            signed = verify_code(code, self.signer.keys, 4)  # printed before a rotation too
            forged = signed is None or signed[0] != CODE_PREFIX or signed[3] != self.cell_code
            if signed is not None and not forged:
                number, digest = signed[1], signed[2]
        # A read with its audit row: committed without waiting for the WAL flush, as mch's
        # other reads (rhip.kit.db durable=False; ~5 ms per call otherwise). One connection,
        # 6 round trips: a lookup outside the transaction, a group-commit writer thread and a
        # separately pipelined audit append were each measured slower at p99 (one in flight,
        # tests/perf/RESULTS-bmc.md).
        with self._unit(durable=False) as tx:
            store = CertificateStore(tx, self.vault)
            row = None if forged else store.summary(number)
            if row is not None and (
                (code and row.digest != digest)
                or (not code and row.name_hash != self.vault.lookup_hash(
                    domain.normalise_name(child_name)))
            ):  # fmt: skip
                row = None
            if row is None:
                answer = Verification("NOT_FOUND", number)
                scope = self.cell_path
            else:
                current, successor = row.number, row.superseded_by
                for _ in range(20):  # follow replacements to the valid one (none: no lookup)
                    if not successor:
                        break
                    current = successor
                    found = store.summary(current)
                    successor = found.superseded_by if found is not None else ""
                state = CertificateState(row.state)
                answer = Verification(
                    RESULTS[state], row.number, row.issue_date.isoformat(),
                    current if current != row.number else "",
                )  # fmt: skip
                scope = row.scope_path
            self._audit(tx, "bmc.certificate.verify", f"birthCertificates/{number}", scope,
                        result=answer.result, by_code=bool(code))  # fmt: skip
        if answer.result == "NOT_FOUND":
            self.limiter.miss(principal.subject)
        return answer
