"""``accessbot report``'s renderings of the figures bot.reporting computes: rich tables for a
terminal, one self-contained HTML page with inline SVG charts. bot.reporting returns plain data."""
