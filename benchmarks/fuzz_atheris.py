"""Coverage-guided fuzzing of the ingest paths with atheris (libFuzzer for Python).

The CI fuzz corpus (``tests/hardening/test_fuzz.py``) replays a few hundred fixed hostile
inputs; this is the long run that searches for new ones. Every input must end in a result
or :class:`trichometry.errors.ImageRejected`; anything else (another exception, a hang past
``-timeout``, memory past ``-rss_limit_mb``) is a finding that libFuzzer writes to
``crash-*`` / ``timeout-*`` / ``oom-*`` files for replay.

Install (optional, not a default dependency)::

    .venv/bin/pip install -c requirements/constraints.txt 'trichometry[fuzz]'   # or: pip install atheris

Run (an hour per target is a reasonable nightly budget)::

    mkdir -p fuzz-corpus/read_image
    .venv/bin/python benchmarks/fuzz_atheris.py --target read_image --seed-corpus fuzz-corpus/read_image \\
        -- fuzz-corpus/read_image -max_total_time=3600 -timeout=10 -rss_limit_mb=3072 -max_len=262144

Targets: ``read_image`` (trichometry.io.read_image), ``upload`` (store upload check and
decode), ``archive`` (trichometry.io.archive.read_zip), ``scrub`` (privacy.metadata_text +
scrubbed_copy). Replay a finding: ``python benchmarks/fuzz_atheris.py --target T -- crash-...``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARDENING = HERE.parent / "tests" / "hardening"
TARGETS = ("read_image", "upload", "archive", "scrub")


def write_seed_corpus(target: str, folder: Path) -> int:
    """Fill ``folder`` with the CI corpus (valid files and their mutations) as seeds."""
    sys.path.insert(0, str(HARDENING))
    import hardening_corpus as hc

    inputs = hc.zip_corpus() if target == "archive" else hc.corpus()
    folder.mkdir(parents=True, exist_ok=True)
    for i, (name, data) in enumerate(sorted(inputs.items())):
        if len(data) <= 262_144:
            (folder / f"seed-{i:04d}-{name.replace('/', '_')}").write_bytes(data)
    return len(list(folder.iterdir()))


def main() -> None:
    ap = argparse.ArgumentParser(description="atheris fuzzing of trichometry's ingest paths")
    ap.add_argument("--target", default="read_image")
    ap.add_argument("--seed-corpus", type=Path, default=None, help="write the CI corpus here as seeds first")
    args, libfuzzer_args = ap.parse_known_args()
    if libfuzzer_args and libfuzzer_args[0] == "--":
        libfuzzer_args = libfuzzer_args[1:]
    if args.seed_corpus is not None:
        print(f"seed corpus: {write_seed_corpus(args.target, args.seed_corpus)} files in {args.seed_corpus}")

    import atheris

    if args.target not in TARGETS:
        raise SystemExit(f"unknown target {args.target!r}; choose one of {', '.join(TARGETS)}")
    sys.path.insert(0, str(HARDENING))
    from hardening_worker import ingest_target  # the same targets as the CI fuzz corpus

    with atheris.instrument_imports(include=["trichometry"]):
        from trichometry.errors import ImageRejected

        call = ingest_target(args.target)
    warnings.simplefilter("ignore")

    def one_input(data: bytes) -> None:
        try:
            call(data)
        except ImageRejected:
            pass

    atheris.Setup([sys.argv[0], *libfuzzer_args], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
