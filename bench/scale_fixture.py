"""A 10,000-person company in accessbot's database, built once per seed and size, then reused.

    python bench/scale_fixture.py                                  # SQLite, full size (cached file)
    python bench/scale_fixture.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    python bench/scale_fixture.py --scale 0.05                     # a 500-person company, for quick runs

At ``--scale 1``: 10,000 people (12 departments, heads, managers, 5 % contractors with an end
date and an agency, six locations), a catalog of 300 resources and 1,000 entitlements read by
the real loader, 100,000 grants (birthright, permanent, time-bound, scheduled, ended) with their
timers, pending requests waiting on managers, one person with 200 grants and 50 approvals waiting
on them (the App Home benchmark's), and a year of audit history (2,000,000 events, hash-chained
with the audit log's own function). Rows go in through the real tables (migrated by Alembic)
with COPY on PostgreSQL and executemany on SQLite.

The built database is cached under a name made of the seed, the size, ``VERSION`` and the
migration head: a PostgreSQL database ``accessbot_scale_<key>`` used as a template, or a SQLite
file under ``~/.cache/accessbot-bench``. ``open_fixture(..., writable=True)`` hands a bench its own
copy, so a bench that changes data never spoils the next one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench import bulk_load, scale_catalog, scale_people, scale_rows  # noqa: E402
from bench.bench_figures import Meter  # noqa: E402
from bot.store import migrate  # noqa: E402
from bot.store.db import Store, create_engine_for  # noqa: E402
from connectors.memory import MemoryConnector  # noqa: E402
from connectors.registry import ConnectorSet  # noqa: E402

VERSION = 1  # bump when the generator changes what it writes
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)  # the fixture's "now": benches run their clock from it
CACHE = Path(os.environ.get("ACCESSBOT_BENCH_CACHE", Path.home() / ".cache" / "accessbot-bench"))
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Size:
    people: int
    resources: int
    entitlements: int
    grants: int
    events: int
    home_grants: int = 200
    home_approvals: int = 50

    @classmethod
    def scaled(cls, factor: float) -> Size:
        return cls(people=max(50, round(10_000 * factor)), resources=max(6, round(300 * factor)),
                   entitlements=max(20, round(1_000 * factor)), grants=max(500, round(100_000 * factor)),
                   events=max(1_000, round(2_000_000 * factor)))


@dataclass(frozen=True)
class Fixture:
    url: str
    catalog_dir: Path
    size: Size
    seed: int
    home_person: int
    info: dict

    def store(self) -> Store:
        return Store(create_engine_for(self.url))

    def catalog(self):
        return scale_catalog.load(self.catalog_dir)

    def drop_copy(self) -> None:
        """Remove a private copy made by ``open_fixture(..., writable=True)``."""
        name = self.url.rsplit("/", 1)[1]
        if self.url.startswith("sqlite") and name.startswith("run-"):
            for suffix in ("", "-wal", "-shm"):
                Path(self.url.split("///", 1)[1] + suffix).unlink(missing_ok=True)
        elif self.url.startswith("postgresql") and name.endswith("_run"):
            admin = _admin(self.url)
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def connectors(delay: float = 0.2) -> ConnectorSet:
    """The six systems as in-memory connectors taking ``delay`` seconds per call (a SaaS admin API's pace)."""
    return ConnectorSet({name: MemoryConnector(name, {"delay_seconds": delay}) for name in scale_catalog.SYSTEMS})


def cache_key(seed: int, factor: float) -> str:
    head = ScriptDirectory.from_config(migrate.alembic_config(create_engine("sqlite://"))).get_current_head()
    return re.sub(r"[^a-z0-9_]", "_", f"s{seed}_x{factor:g}_v{VERSION}_m{head}".lower())


def open_fixture(database_url: str | None, *, seed: int = 1, factor: float = 1.0, writable: bool = False,
                 quiet: bool = False) -> Fixture:
    """The cached fixture (built when missing); ``writable``: a private copy of it for this run."""
    key = cache_key(seed, factor)
    size = Size.scaled(factor)
    pg = bool(database_url and database_url.startswith("postgresql"))
    folder = CACHE / f"{key}_{'pg' if pg else 'sqlite'}"
    catalog_dir = folder / "catalog"
    info_file = folder / "info.json"
    url = _pg_url(database_url, f"accessbot_scale_{key}") if pg else f"sqlite:///{folder}/scale.db"
    if not info_file.exists() or not _exists(url):
        shutil.rmtree(folder, ignore_errors=True)
        info = build(url, catalog_dir, size, seed, quiet=quiet)
        info_file.write_text(json.dumps(info))
    info = json.loads(info_file.read_text())
    if writable:
        url = _copy(url, folder)
    return Fixture(url, catalog_dir, size, seed, info["home_person"], info)


def _pg_url(base: str, name: str) -> str:
    return base.rsplit("/", 1)[0] + f"/{name}"


def _admin(url: str):
    return create_engine(_pg_url(url, "postgres"), isolation_level="AUTOCOMMIT")


def _exists(url: str) -> bool:
    if url.startswith("sqlite"):
        return Path(url.split("///", 1)[1]).exists()
    admin = _admin(url)
    try:
        with admin.connect() as conn:
            return conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.rsplit("/", 1)[1]}) == 1
    finally:
        admin.dispose()


def _copy(url: str, folder: Path) -> str:
    if url.startswith("sqlite"):
        source = Path(url.split("///", 1)[1])
        target = folder / f"run-{os.getpid()}.db"
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"
    name = url.rsplit("/", 1)[1]
    copy = f"{name[:40]}_{os.getpid()}_run"  # one per process: two benches at once never drop each other's copy
    admin = _admin(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"'))
    admin.dispose()
    return _pg_url(url, copy)


def _create(url: str) -> None:
    if url.startswith("sqlite"):
        return
    admin = _admin(url)
    name = url.rsplit("/", 1)[1]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def build(url: str, catalog_dir: Path, size: Size, seed: int, *, quiet: bool = False) -> dict:
    say = (lambda *_: None) if quiet else (lambda message: print(message, flush=True))
    building_url = url + "_building" if url.startswith("postgresql") else url
    _create(building_url)
    engine = create_engine_for(building_url)
    migrate.upgrade(engine)
    rng = random.Random(seed)
    meter = Meter()
    company = scale_people.build_company(size.people, rng, NOW)
    owners = [company.email(p) for p in sorted(company.managers)][:200]
    info = scale_catalog.write_catalog(catalog_dir, seed=seed, resources=size.resources,
                                       entitlements=size.entitlements, owner_emails=owners)
    scale_catalog.load(catalog_dir)  # the real loader must accept what was written
    home = company.heads.get("Engineering", 1)
    systems = {app: scale_catalog.SYSTEMS[int(app[3:]) % len(scale_catalog.SYSTEMS)] for app in info["departments"]}
    access = scale_rows.build_access(company, info, systems, grants=size.grants, home_person=home,
                                     home_grants=size.home_grants, home_approvals=size.home_approvals,
                                     rng=rng, now=NOW)
    say(f"generated people and access: {meter}")
    counts = {
        "people": bulk_load.write(engine, "people", scale_people.PEOPLE_COLUMNS, company.rows),
        "grants": bulk_load.write(engine, "grants", scale_rows.GRANT_COLUMNS, access.grants),
        "due_actions": bulk_load.write(engine, "due_actions", scale_rows.DUE_COLUMNS, access.due),
        "access_requests": bulk_load.write(engine, "access_requests", scale_rows.REQUEST_COLUMNS, access.requests),
        "approval_steps": bulk_load.write(engine, "approval_steps", scale_rows.STEP_COLUMNS, access.steps),
        "approval_step_approvers": bulk_load.write(engine, "approval_step_approvers", scale_rows.APPROVER_COLUMNS,
                                                   access.approvers),
    }
    say(f"wrote {counts}: {meter}")
    counts["audit_events"] = bulk_load.write(engine, "audit_events", scale_rows.AUDIT_COLUMNS, scale_rows.audit_rows(
        company, info, count=size.events, rng=rng, now=NOW))
    say(f"wrote {counts['audit_events']} audit events: {meter}")
    bulk_load.reset_sequences(engine, ["people", "grants", "due_actions", "access_requests", "approval_steps",
                                       "audit_events"])
    _analyze(engine)
    engine.dispose()
    if building_url != url:
        admin = _admin(url)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
            conn.execute(text(f'ALTER DATABASE "{building_url.rsplit("/", 1)[1]}" RENAME TO "{url.rsplit("/", 1)[1]}"'))
        admin.dispose()
    say(f"built {url.rsplit('/', 1)[1]}: {meter}")
    return {"home_person": home, "counts": counts, "departments": info["departments"], "birthright": info["birthright"],
            "heads": company.heads}


def _analyze(engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL server URL (any database name); SQLite when omitted")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="drop the cached copy first")
    args = parser.parse_args()
    if args.rebuild:
        pg = bool(args.database_url and args.database_url.startswith("postgresql"))
        shutil.rmtree(CACHE / f"{cache_key(args.seed, args.scale)}_{'pg' if pg else 'sqlite'}", ignore_errors=True)
    meter = Meter()
    fixture = open_fixture(args.database_url, seed=args.seed, factor=args.scale)
    print(f"fixture ready at {fixture.url}: {fixture.info['counts']}; {meter}")


if __name__ == "__main__":
    main()
