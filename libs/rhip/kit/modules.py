"""Service modules: what one service contributes to a cell, so that the cell, ``rhip migrate``,
``rhip serve --services``, the demo and the chart are driven by one registry
(``rhip.modules``) and a new service is one package plus one line there.

A module names the services it calls (``requires``); the cell builds modules in that order,
hands each the services built before it, and serves every service another one in the same
process calls on a loopback port with a thread pool of its own: a caller's workers never wait
on their own pool (all workers busy in calls to a service that has none left to answer them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from rhip.kit.audit import AuditWriter
from rhip.kit.authn import KeySource
from rhip.kit.authz import Authorizer
from rhip.kit.channels import ChannelPool
from rhip.kit.config import ConfigError, Settings
from rhip.kit.db import Database
from rhip.kit.outbox_delivery import OutboxDelivery
from rhip.kit.server import ServiceSpec
from rhip.kit.signing_keys import SigningSecrets


class Worker(Protocol):
    """A background job a service runs while the cell serves (rhip.kit.workers)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Built:
    """A service built for a cell: what it serves and what the cell starts, watches and closes."""

    specs: list[ServiceSpec]
    # The databases to watch (a stall turns this service's health NOT_SERVING), by name.
    databases: Mapping[str, Database] = field(default_factory=dict)
    # Started once the cell serves, stopped before anything it calls goes away.
    workers: Sequence[Worker] = ()
    # Its outbox deliveries (rhip.kit.outbox_delivery), by name, for the backlog gauges; each
    # runs as one of ``workers`` too.
    outboxes: Mapping[str, OutboxDelivery] = field(default_factory=dict)
    # Its read-audit writers (group commit of reads' audit events), by log, for the metrics.
    audit_writers: Mapping[str, AuditWriter] = field(default_factory=dict)
    # The policy decisions of the cell, when this service holds them (identity does).
    authorizer: Authorizer | None = None
    # The keys that sign this cell's tokens, when this service issues them (identity does).
    token_keys: KeySource | None = None
    close: Callable[[], None] = lambda: None
    # The service's own objects (use cases…), for its demo seeding and for tests.
    parts: Any = None


@dataclass
class CellContext:
    """What a module's ``build`` gets from the cell."""

    settings: Settings
    peers: ChannelPool  # channels to other processes and cells, shared by the cell
    secret: Callable[[], bytes]  # the cell secret (RHIP_SECRET_KEY), read when needed
    address_of: Callable[[str], str]  # where a required service answers, once the cell serves
    authorizer: Authorizer | None  # the cell's, when a service built before holds it
    built: Mapping[str, Built]  # the modules built before this one
    # Every service this cell process runs, built or not yet: a service that calls one built
    # after it (archives and referral feed emr's timeline) knows whether it will be there.
    services: tuple[str, ...] = ()
    # The signing secrets (RHIP_SIGNING_KEY and the retired ones, rhip.kit.signing_keys), read
    # when needed; None: the cell secret alone signs.
    signing: Callable[[], SigningSecrets] | None = None

    def signing_secrets(self) -> SigningSecrets:
        return self.signing() if self.signing is not None else SigningSecrets(self.secret())

    def runs(self, service: str) -> bool:
        return service in self.services

    def reaches(self, service: str) -> bool:
        """The cell has ``service``: in this process, or in pods of its own at
        ``RHIP_<SERVICE>_ADDRESS`` (the chart runs every service apart)."""
        return self.runs(service) or bool(self.settings.address_of(service))


@dataclass(frozen=True)
class ServiceModule:
    name: str  # as in ``rhip serve --services`` and the API package rhip.api.<name>.v1
    build: Callable[[CellContext], Built]
    migrate: Callable[[Settings], None]
    requires: tuple[str, ...] = ()  # services this one calls
    # Services this one calls when the cell runs them, looked up lazily, at call time: built
    # after it because they require it (archives and referral feed emr's timeline index), or
    # optional (mch filters its overdue lists by archives' family-doctor teams).
    calls_later: tuple[str, ...] = ()
    # Demo data for this service (development only), run in registry order once the cell
    # listens but before it reports SERVING; returns a line for the operator, or None.
    seed_demo: Callable[[Mapping[str, Built], Settings], str | None] | None = None
    # What its demo data lets a user try, printed by ``rhip demo``: lines, given the gateway's
    # address and the demo cells' region codes.
    demo_hints: Callable[[str, Sequence[str]], Sequence[str]] | None = None

    def with_demo(
        self,
        seed: Callable[[Mapping[str, Built], Settings], str | None],
        hints: Callable[[str, Sequence[str]], Sequence[str]] | None = None,
    ) -> ServiceModule:
        return replace(self, seed_demo=seed, demo_hints=hints)


class Registry:
    """The service modules in build order (a module after the modules it requires)."""

    def __init__(self, modules: Iterable[ServiceModule]) -> None:
        self.modules: dict[str, ServiceModule] = {}
        for module in modules:
            if module.name in self.modules:
                raise ValueError(f"service module {module.name!r} registered twice")
            missing = [r for r in module.requires if r not in self.modules]
            if missing:
                raise ValueError(f"{module.name} requires {missing}, registered after it")
            self.modules[module.name] = module

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.modules)

    def resolve(self, names: str) -> tuple[str, ...]:
        """``all`` or a comma-separated list → service names in build order, validated."""
        wanted = (
            set(self.modules)
            if names == "all"
            else {n.strip() for n in names.split(",") if n.strip()}
        )
        unknown = sorted(n for n in wanted if n not in self.modules)
        if unknown or not wanted:
            raise ConfigError(
                f"unknown service(s) {', '.join(unknown) or '(none)'}; "
                f"available: {', '.join(self.modules)}"
            )
        return tuple(n for n in self.modules if n in wanted)

    def required_in_process(self, names: Sequence[str]) -> tuple[str, ...]:
        """The services among ``names`` that another service among them calls."""

        def calls(m: str) -> tuple[str, ...]:
            return self.modules[m].requires + self.modules[m].calls_later

        return tuple(n for n in names if any(n in calls(m) for m in names if m != n))
