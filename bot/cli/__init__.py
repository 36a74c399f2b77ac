"""Command-line front end (typer). Each module holds one sub-app."""
