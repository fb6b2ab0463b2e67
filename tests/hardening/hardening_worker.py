"""Fuzz worker: feed files to one ingest target, one line per input (run as a subprocess).

Usage: ``python hardening_worker.py TARGET LIST_FILE START PER_INPUT_S``

``LIST_FILE`` holds one input path per line. For input ``i`` the worker prints
``start i`` before and ``done i OUTCOME PEAK_RSS_KB DETAIL`` after. ``SIGALRM`` is left at
its default action, so an input that runs past ``PER_INPUT_S`` (even inside C code) kills
the worker; the parent then sees ``start`` without ``done`` and records a hang or crash.
"""

from __future__ import annotations

import resource
import signal
import sys
import warnings


def ingest_target(name: str):
    """The callable behind one ingest path, by name (also used by benchmarks/fuzz_atheris.py)."""
    if name == "read_image":
        from trichometry.io import read_image

        return lambda data: read_image(data)
    if name == "upload":
        from trichometry.store.images import decode_rgb

        return decode_rgb  # the upload checks (inspect_image) and the decode, in one pass
    if name == "archive":
        from trichometry.io.archive import read_zip

        return lambda data: read_zip(data)
    if name == "scrub":
        from trichometry.privacy import metadata_text, scrubbed_copy

        def scrub(data: bytes):
            metadata_text(data)
            return scrubbed_copy(data)

        return scrub
    if name == "selftest":  # misbehaves on purpose: proves the harness sees each failure

        def selftest(data: bytes):
            import os
            import time

            if data == b"hang":
                while True:
                    time.sleep(1)
            if data == b"abort":
                os.abort()
            if data == b"raise":
                raise RuntimeError("bug")
            if data == b"memory":
                return bytearray(8 * 2**30)
            from trichometry.errors import ImageRejected

            raise ImageRejected("fine")

        return selftest
    raise SystemExit(f"unknown target {name!r}")


def main() -> None:
    name, list_file, start, per_input_s = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    from trichometry.errors import ImageRejected, TrichometryError

    call = ingest_target(name)
    warnings.simplefilter("ignore")
    paths = open(list_file).read().splitlines()
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    for i in range(start, len(paths)):
        with open(paths[i], "rb") as fh:
            data = fh.read()
        print(f"start {i}", flush=True)
        signal.alarm(per_input_s)
        try:
            call(data)
            outcome, detail = "accepted", ""
        except ImageRejected as exc:
            outcome, detail = "rejected", type(exc).__name__
        except TrichometryError as exc:
            outcome, detail = "other-error", f"{type(exc).__name__}: {exc}"
        except BaseException as exc:
            outcome, detail = "crash", f"{type(exc).__name__}: {exc}"
        signal.alarm(0)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        detail = detail.replace("\n", " ")[:300]
        print(f"done {i} {outcome} {rss} {detail}", flush=True)


if __name__ == "__main__":
    main()
