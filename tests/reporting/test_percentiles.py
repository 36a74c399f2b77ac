"""p50/p90/max by nearest rank: PostgreSQL computes them (percentile_disc over GROUPING SETS),
SQLite's durations are ranked in Python; both give the figures worked out by hand."""

from __future__ import annotations

from sqlalchemy import Float, String, literal, select, union_all

from bot.reporting.figures import _summaries


def test_nearest_rank_figures_overall_and_per_group(store):
    # okta: 10, 20, ... 100 s; github: 5 s and 7 s
    data = [("okta", float(10 * i)) for i in range(1, 11)] + [("github", 5.0), ("github", 7.0)]
    table = union_all(*[select(literal(c, String).label("connector"), literal(v, Float).label("seconds"))
                        for c, v in data]).subquery()
    base = select(table.c.connector.label("connector"), table.c.seconds.label("seconds"))
    with store.uow() as s:
        result = _summaries(s, base, ("connector",))
    overall = result["all"][""]
    # 12 values sorted: 5, 7, 10, 20, ..., 100; rank ceil(0.5*12)=6 → 40; ceil(0.9*12)=11 → 90
    assert (overall.count, overall.p50, overall.p90, overall.max) == (12, 40.0, 90.0, 100.0)
    okta = result["connector"]["okta"]
    assert (okta.count, okta.p50, okta.p90, okta.max) == (10, 50.0, 90.0, 100.0)  # ranks 5 and 9
    github = result["connector"]["github"]
    assert (github.p50, github.p90, github.max) == (5.0, 7.0, 7.0)  # ranks 1 and 2
    assert list(result["connector"]) == ["github", "okta"]
