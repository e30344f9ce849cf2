"""rhip.kit: the shared runtime under every rhip service (config, db, errors, server, authn,
authz, tenancy, audit, telemetry, pagination, ids). It never imports a service."""
