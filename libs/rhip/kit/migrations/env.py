"""Alembic environment shared by every service: runs on the connection handed in by
``rhip.kit.db.migrate`` (never opens its own)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
