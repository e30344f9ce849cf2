"""identity: regions, tenants, users, roles, service accounts and tokens of one cell."""
