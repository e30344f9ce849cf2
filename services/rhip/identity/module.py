"""The identity service as a module of a cell (rhip.kit.modules): it holds the cell's policy
and signs its tokens, so the other services of its process share both."""

from __future__ import annotations

from rhip.identity.demo import seed_identity_demo
from rhip.identity.server import build_identity, migrate_identity
from rhip.kit.modules import Built, CellContext, ServiceModule


def build(context: CellContext) -> Built:
    identity = build_identity(
        context.settings, context.secret(), context.peers, context.signing_secrets()
    )
    return Built(
        identity.specs,
        databases={"identity": identity.db},
        audit_writers={"identity": identity.residents.read_audit},
        authorizer=identity.authorizer,
        token_keys=identity.keys.public_key,
        close=identity.close,
        parts=identity,
        workers=[identity.link_worker],
    )


MODULE = ServiceModule("identity", build, migrate_identity).with_demo(seed_identity_demo)
