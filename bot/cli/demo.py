"""`accessbot demo`: the whole story on embedded defaults, in well under a minute, leaving nothing
behind (temporary database, in-memory connectors, a stand-in Slack on 127.0.0.1)."""

from __future__ import annotations

import logging
import time

import typer

demo_app = typer.Typer(help="Play a request → approval → expiry → offboarding story with a stand-in Slack.")


@demo_app.callback(invoke_without_command=True)
def demo() -> None:
    """Run accessbot on embedded defaults and print every Slack message and modal, with who sees it."""
    from bot.demo.stage import DemoError, staged
    from bot.demo.story import play
    from bot.demo.transcript import Transcript

    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    started = time.monotonic()
    try:
        with staged() as stage:
            typer.echo("accessbot demo: the Acme example catalog, in-memory connectors and a stand-in Slack.\n"
                       "Every step below is a signed Slack request into the real bot; the boxes are what Slack shows.")
            show = Transcript(stage.fake, stage.names, out=typer.echo)
            play(stage, show)
            show.flush()
    except DemoError as error:
        typer.echo(f"demo stopped: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"\nDone in {time.monotonic() - started:.1f} s. Nothing was left running; the database was temporary.")
