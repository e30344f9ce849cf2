"""The registry of service modules: the one list of the services a cell can run, in build order
(a service after those it calls). ``rhip serve --services``, ``rhip migrate``, the cell, the
demo and the chart's service list (tests/deploy checks it) follow it: adding a service is its
package plus one line here."""

from __future__ import annotations

from rhip import demo, demo_archives
from rhip.archives import module as archives
from rhip.emr import demo as emr_demo
from rhip.emr import module as emr
from rhip.identity import module as identity
from rhip.kit.modules import Registry

REGISTRY = Registry(
    [
        identity.MODULE.with_demo(demo.seed_identity_demo),
        archives.MODULE.with_demo(demo_archives.seed_archives_module_demo),
        emr.MODULE.with_demo(emr_demo.seed_emr_demo),
    ]
)
