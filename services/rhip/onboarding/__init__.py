"""onboarding: bulk import of institutions and users from CSV or Excel (``rhip admin import``):
reading (sheet), row checks (rows), the import through the gateway (importer)."""
