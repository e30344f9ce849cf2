"""The registry of service modules: the one list of the services a cell can run, in build order
(a service after those it calls). ``rhip serve --services``, ``rhip migrate``, the cell, the
demo and the chart's service list (tests/deploy checks it) follow it: adding a service is its
package plus one line here."""

from __future__ import annotations

from rhip.archives import module as archives
from rhip.emr import module as emr
from rhip.identity import module as identity
from rhip.kit.modules import Registry
from rhip.mch import module as mch
from rhip.referral import module as referral

REGISTRY = Registry(
    [
        identity.MODULE,
        archives.MODULE,
        referral.MODULE,
        mch.MODULE,
        emr.MODULE,
    ]
)
