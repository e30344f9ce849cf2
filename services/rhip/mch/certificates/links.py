"""The child's link in the master index (identity), delivered after the certificate commits.

Every certificate with a child in the master index (a first issue: the newborn's PROVISIONAL
resident; a replacement or reissue: the same child, beside the number it supersedes) must be
recorded there as the child's birth-certificate document: household registration and the ID
number follow from it. When the cell has its own account (``RHIP_CELL_CLIENT_ID``), the link
is not made in the request: it is an event of the durable outbox (rhip.kit.outbox), written in
the certificate's own transaction, and this delivery calls identity's LinkBirthCertificate as
the cell's account (its CELL role may link) once the certificate committed:

- nothing is linked that was not issued, and nothing issued stays unlinked, whatever fails
  after the commit (identity away, the process killed mid-delivery): the event waits, and is
  retried with backoff, then kept as a dead letter an administrator sees and replays
  (``rhip outbox dead-letters | replay``);
- events of one child go in commit order (the key is the child's resident id), so a
  replacement's link (which names the number it replaces) never overtakes the first one;
- at least once, idempotent at identity: the event id is fixed by the certificate number, so a
  retried request queues nothing new, and a resend after a lost answer finds the number linked
  already (BIRTH_CERTIFICATE_LINKED), which counts as delivered;
- the link is eventually consistent: the answer to IssueBirthCertificate leaves before it, and
  it normally follows within a fifth of a second (``INTERVAL_SECONDS``), at the latest after
  identity answers again. Nothing in mch waits for it: verification, the stock and the
  national reports read mch's own rows.

Without a cell account the link is made in the request as before, with the caller's token.

Payloads are ids and certificate numbers: never a name or an ID number."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from rhip.kit import outbox
from rhip.kit.db import Database
from rhip.kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RhipError,
)
from rhip.kit.outbox_delivery import DeliveryFailed, Message, OutboxDelivery, RetryPolicy
from rhip.mch.certificates.domain import Certificate
from rhip.mch.clients import IdentityClient
from sqlalchemy import Connection

log = logging.getLogger(__name__)

STREAM = "bmc.identity_link"
KIND = "bmc.link"
# A link not in identity an hour after the issue counts as overdue (the backlog gauges).
DUE_AFTER = timedelta(hours=1)
# How often the delivery looks for links to send: how late a link is, at most, when identity
# answers (a certificate answered at once is in the master index this much later).
INTERVAL_SECONDS = 0.2


def event_id(number: str) -> str:
    """One link per certificate number, whoever retries."""
    return f"bmc-{number}-link"


def enqueue_link(tx: Connection, c: Certificate, now: datetime) -> bool:
    """Queue the link of ``c``'s number to its child in the caller's transaction; False when
    it is queued already (a retry) or the certificate has no child in the master index."""
    if not c.child_resident_id:
        return False
    return outbox.enqueue(
        tx, stream=STREAM, key=c.child_resident_id, event_id=event_id(c.number), kind=KIND,
        payload={"resident": c.child_resident_id, "number": c.number, "replaces": c.supersedes},
        due_at=now + DUE_AFTER, now=now,
    )  # fmt: skip


class LinkSender:
    """Sends links to identity as the cell's account: a claimed round in one
    LinkBirthCertificates call (one identity transaction and audit append for all), each alone
    when identity refused the batch, to tell which one it refuses (``BatchSender`` of the
    delivery); ``one`` is the single send."""

    def __init__(self, identity: IdentityClient) -> None:
        self._identity = identity

    def __call__(self, messages: Sequence[Message]) -> list[DeliveryFailed | None]:
        links = [(m.payload["resident"], m.payload["number"], m.payload.get("replaces", ""))
                 for m in messages]  # fmt: skip
        try:
            self._identity.link_birth_certificates(links)
            return [None] * len(messages)
        except (FailedPrecondition, InvalidArgument, AlreadyExists, NotFound, PermissionDenied):
            pass  # one of them refused: each alone below
        except RhipError as e:  # away, overloaded: all later
            return [DeliveryFailed(f"identity answered {e.reason}")] * len(messages)
        return [self._outcome(m) for m in messages]

    def _outcome(self, message: Message) -> DeliveryFailed | None:
        try:
            self.one(message)
        except DeliveryFailed as failed:
            return failed
        return None

    def one(self, message: Message) -> None:
        p = message.payload
        try:
            self._identity.link_birth_certificate(
                p["resident"], p["number"], p.get("replaces", ""), as_cell=True
            )
        except FailedPrecondition as e:
            if e.reason == "BIRTH_CERTIFICATE_LINKED":
                return  # linked already: a resend whose first answer was lost
            if e.reason == "BIRTH_CERTIFICATE_NOT_LINKED":
                # As the link in the request did: the number it replaces was never linked
                # there (a certificate of before the master index knew the child); the
                # certificate stands, the child's document is left to the registry.
                log.warning("birth certificate %s: superseded number not linked in identity",
                            p["number"])  # fmt: skip
                return
            raise DeliveryFailed(f"identity refused: {e.reason}", permanent=True) from None
        except (InvalidArgument, AlreadyExists) as e:
            raise DeliveryFailed(f"identity refused: {e.reason}", permanent=True) from None
        except RhipError as e:  # away, overloaded, not authorised yet: later
            raise DeliveryFailed(f"identity answered {e.reason or type(e).__name__}") from None


def link_delivery(db: Database, identity: IdentityClient) -> OutboxDelivery:
    """The worker that drains the links into identity: a pass every ``INTERVAL_SECONDS``,
    each claimed round (up to 50 children) in one call. Not woken per certificate: a round of
    one link costs identity nearly what a round of fifty does, so under load the links of the
    last fraction of a second go together. Retries go on for about a day of identity being
    away (backoff up to 15 minutes), then the events are dead letters."""
    return OutboxDelivery(
        db, None, streams=[STREAM], name="mch-bmc-link", batch_sender=LinkSender(identity),
        interval=INTERVAL_SECONDS, policy=RetryPolicy(max_attempts=120, base_seconds=1.0),
    )  # fmt: skip
