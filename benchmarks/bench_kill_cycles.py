"""Kill cycles at scale (issue 28): 1,000 per database by default, and what was checked.

    python benchmarks/bench_kill_cycles.py --cycles 1000 --out DIR
    python benchmarks/bench_kill_cycles.py --cycles 1000 --backend postgresql --pg-url URL

Each cycle forks an uploader, two workers and a reviewer on one store and SIGKILLs each
at its own random moment (``tests/hardening/crash_roles.py``, the same harness as the CI
test, which runs a short count). After the cycles a clean worker finishes the jobs the
killed ones left, then every promise is checked: every acknowledged upload, analysis and
correction present and whole, every job done exactly once, the audit chain intact, the
recovery sweep leaving no stray file and touching none referenced (SQLite: also
``PRAGMA integrity_check``). Any broken promise stops the run with the assertion.
PostgreSQL runs in a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hardening"))

#: what ``crash_roles.check`` asserted when a run reports (an assertion stops it otherwise)
CHECKS = [
    "every acknowledged upload, job, completion and correction present",
    "no record half-written: each upload and analysis has its audit event and its file",
    "every job done exactly once: one analysis per job, none outside jobs",
    "audit hash chain intact",
    "recovery sweep left no stray file and every referenced file re-hashed",
]


def run(backend: str, cycles: int, pg_url: str | None, seed: int) -> dict:
    from crash_roles import check, finish_pending, run_cycle, setup
    from tqdm import tqdm

    from trichometry.store import Store

    url, schema, admin = None, None, None
    if backend == "postgresql":
        from sqlalchemy import create_engine, text

        if not pg_url:
            raise SystemExit("--pg-url (or $TRICHOMETRY_TEST_PG_URL) is needed for PostgreSQL")
        schema = f"kill_{uuid.uuid4().hex[:10]}"
        admin = create_engine(pg_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{pg_url}{'&' if '?' in pg_url else '?'}options=-csearch_path%3D{schema}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data"
            visit_id = setup(data, url)
            rnd = random.Random(seed)
            lines: list[str] = []
            t0 = time.monotonic()
            for cycle in tqdm(range(cycles), desc=f"{backend} kill cycles", unit="cycle"):
                lines += run_cycle(data, url, visit_id, cycle, rnd)
            errors = [line for line in lines if line.startswith("error")]
            assert not errors, errors[:3]
            store = Store.open(data, url, migrate=False)
            try:
                finished = finish_pending(store, timeout_s=300)
                figures = check(store, lines)
            finally:
                store.close()
            seconds = round(time.monotonic() - t0)
            return {"backend": backend, "cycles": cycles, "kills": 4 * cycles, "seconds": seconds,
                    "finished_after_cycles": finished, **figures, "checks_passed": CHECKS}  # fmt: skip
    finally:
        if admin is not None:
            from sqlalchemy import text

            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cycles", type=int, default=1000)
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--pg-url", default=os.environ.get("TRICHOMETRY_TEST_PG_URL"))
    ap.add_argument("--seed", type=int, default=2028)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = [run(b, args.cycles, args.pg_url, args.seed) for b in backends]
    print(json.dumps(results, indent=1))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "kill_cycles.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
