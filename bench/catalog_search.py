"""How fast a big catalog loads and answers the request form's picker.

Run: .venv/bin/python bench/catalog_search.py [--resources 1000]
Prints the load time and the mean and worst time of one search over a few typical queries.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policies.loader import load_catalog  # noqa: E402

QUERIES = ("app", "application 099", "admin", "app-0999", "zzz", "a")


def generated_catalog(count: int) -> str:
    lines = ["defaults:", "  approval: [manager]", "resources:"]
    for i in range(count):
        lines += [
            f"  app-{i:04d}:", f"    name: Application {i:04d}", "    connector: okta", "    entitlements:",
            f"      user: {{target: g{i}u, risk: low, auto_approve: 'person.department == \"D{i % 7}\"'}}",
            f"      admin: {{target: g{i}a, risk: high, durations: {{choices: [1h, 4h]}}, "
            f"eligibility: '\"team-{i}\" in person.groups'}}",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "big.yaml").write_text(generated_catalog(args.resources))
        started = time.perf_counter()
        catalog = load_catalog(Path(folder), connectors=["okta"])
        load_seconds = time.perf_counter() - started
    samples = []
    for _ in range(args.rounds):
        for query in QUERIES:
            started = time.perf_counter()
            catalog.search(query)
            samples.append((time.perf_counter() - started) * 1000)
    print(f"{args.resources} resources ({len(catalog.entitlements)} entitlements) loaded in {load_seconds:.2f} s")
    print(f"one search: mean {statistics.mean(samples):.2f} ms, worst {max(samples):.2f} ms "
          f"over {len(samples)} searches")


if __name__ == "__main__":
    main()
