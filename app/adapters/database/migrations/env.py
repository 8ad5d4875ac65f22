"""Alembic environment. The URL comes from the caller (``codehealer db upgrade``) via
``config.attributes["url"]``, or from settings when alembic is run by hand."""

from alembic import context
from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

from app.adapters.database import tables  # noqa: F401  (registers the tables on the metadata)
from app.adapters.database.engine import sqlalchemy_url

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    url = config.attributes.get("url")
    if url:
        return url
    from app.settings_loader import load_settings  # only for hand-run alembic

    settings = load_settings()
    if not settings.database.url:
        raise SystemExit("set DATABASE_URL, or use `codehealer db upgrade` for the embedded server")
    return settings.database.url


def run_migrations_offline() -> None:
    context.configure(
        url=sqlalchemy_url(_url()), target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(sqlalchemy_url(_url()), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
