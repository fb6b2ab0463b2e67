"""``trichometry worker``: run queued analysis jobs without the web server.

Any number of workers (on any machines) may share one database with each other and with
``trichometry serve``: each job is claimed by exactly one of them at a time, and a job
whose worker died is claimed again once its lease lapses (see
:mod:`trichometry.clinic.worker`).
"""

from __future__ import annotations

import logging
import signal

import click

log = logging.getLogger(__name__)


@click.command(name="worker")
@click.option("--db", "db_url", default=None, metavar="URL",
              help="Database URL (default: $TRICHOMETRY_DB, else SQLite in the data folder).")  # fmt: skip
@click.option("--data", "data_dir", default=None, metavar="DIR",
              help="Data folder for images (default: $TRICHOMETRY_DATA or ./trichometry-data).")  # fmt: skip
@click.option("--method", type=click.Choice(["model", "classical"]), default="model", show_default=True,
              help="Hair detector for the analyses.")  # fmt: skip
@click.option("--checkpoint", default=None, metavar="PATH", help="Model checkpoint for --method model.")
@click.option("--lease", "lease_s", default=120.0, show_default=True, type=click.FloatRange(1.0, 86400.0),
              help="Seconds without a heartbeat after which a running job is taken over.")  # fmt: skip
@click.option("--poll", "poll_s", default=1.0, show_default=True, type=click.FloatRange(0.05, 60.0),
              help="Seconds between looks for new jobs when the queue is empty.")  # fmt: skip
@click.option("--idle-exit", is_flag=True, help="Stop when no job is waiting (batch use).")
def command(db_url, data_dir, method, checkpoint, lease_s, poll_s, idle_exit) -> None:
    """Claim and run queued analysis jobs until stopped (Ctrl-C or SIGTERM finish the current job)."""
    from trichometry.clinic.analysis import AnalysisSettings
    from trichometry.clinic.worker import Worker
    from trichometry.store import Store

    store = Store.open(data_dir, db_url=db_url)
    worker = Worker(
        store, AnalysisSettings(method=method, checkpoint=checkpoint), lease_s=lease_s, poll_s=poll_s
    )
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    click.echo(f"worker {worker.name}: claiming jobs (lease {lease_s:.0f} s)", err=True)
    try:
        n = worker.run(idle_exit=idle_exit)
    except KeyboardInterrupt:
        worker.stop()
        n = -1
    finally:
        store.close()
    if n >= 0:
        click.echo(f"worker {worker.name}: {n} job(s) run", err=True)
