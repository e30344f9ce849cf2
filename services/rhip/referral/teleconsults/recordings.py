"""A teleconsultation's session recording: kept for its retention period (≥ 3 years from the
session's end, docs/domain §5.2), deleted only after it, and across cells deleted on both sides
or on neither (the other cell first, under its own period: RelayRecordingDeletion)."""

from __future__ import annotations

from datetime import datetime

from rhip.kit.errors import FailedPrecondition
from rhip.kit.timestamps import clinical_day
from rhip.referral.teleconsults import domain
from rhip.referral.teleconsults.domain import Teleconsultation
from rhip.referral.teleconsults.usecases import TeleconsultUseCases


class RecordingUseCases(TeleconsultUseCases):
    def delete_recording(self, name: str) -> Teleconsultation:
        """Refused within the retention period (≥ 3 years from the session's end); the refusal
        is audited on its own, durable before the answer. Across cells the other cell deletes
        its reference first, under its own period: neither side keeps what the other deleted."""
        now = self.clock()
        with self._unit(durable=False) as repo:
            t = self._load(repo, name, "DeleteTeleconsultationRecording", "either")
        if not t.recording:
            raise FailedPrecondition(
                "this teleconsultation has no recording", reason="NO_RECORDING"
            )
        self._check_retention(t, name, now)
        if t.peer_region:
            self.tele_peers.delete_recording(t.peer_region, t.teleconsultation_id)
        return self._forget_recording(t, name, now)

    def _check_retention(self, t: Teleconsultation, name: str, now: datetime, **detail: object) -> None:  # fmt: skip
        until = domain.recording_kept_until(t, self.recording_days)
        if until is None or now >= until:
            return
        with self._unit() as repo:
            self._event(
                repo, "teleconsult.recording_delete", name, t.inviting_scope, "DENIED",
                resident=t.resident_id, kept_until=clinical_day(until).isoformat(), **detail,
            )  # fmt: skip
        raise FailedPrecondition(
            f"the recording is kept until {clinical_day(until).isoformat()}",
            reason="RETENTION_PERIOD",
            metadata={"kept_until": clinical_day(until).isoformat()},
        )

    def _forget_recording(self, t: Teleconsultation, name: str, now: datetime, **detail: object) -> Teleconsultation:  # fmt: skip
        with self._unit() as repo:
            repo.update(t.teleconsultation_id, recording="", update_time=now)
            self._event(repo, "teleconsult.recording_delete", name, t.inviting_scope, "OK", resident=t.resident_id, **detail)  # fmt: skip
            done = repo.get(t.teleconsultation_id)
        assert done is not None
        return done
