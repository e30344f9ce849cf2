"""identity directory: regions, tenants, users, role grants and service accounts."""
