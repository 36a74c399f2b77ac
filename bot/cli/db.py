from __future__ import annotations

import typer

from bot.settings import Settings

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply every pending migration (the bot also does this at start-up)."""
    from bot import logs
    from bot.store.db import open_store

    settings = Settings()
    logs.configure(settings, role="migrate")  # the image's migrate step logs like web and worker
    store = open_store(settings.database_url)
    typer.echo(f"Database at {store.engine.url.render_as_string(hide_password=True)} is up to date.")
    store.dispose()
