"""Front ends use the store's public API: no ORM module, no audit writes of their own."""

from __future__ import annotations

import ast
from pathlib import Path

import trichometry

PKG = Path(trichometry.__file__).resolve().parent
FORBIDDEN = ("trichometry.store.models", "trichometry.store.audit", "trichometry.store.store")


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {a.name for a in node.names}
            if node.module in FORBIDDEN or (node.module == "trichometry.store" and "audit" in names):
                out.append(f"{path.name}:{node.lineno} imports {node.module}")
        elif isinstance(node, ast.Import):
            out += [f"{path.name}:{node.lineno} imports {a.name}" for a in node.names if a.name in FORBIDDEN]
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "record"
            and getattr(node.value, "id", "") == "audit"
        ):
            out.append(f"{path.name}:{node.lineno} writes an audit event itself")
    return out


def test_web_and_cli_use_only_the_store_public_api():
    found = [v for sub in ("web", "cli") for p in sorted((PKG / sub).glob("*.py")) for v in _violations(p)]
    assert found == [], "use trichometry.store's exports and Store.record_event:\n" + "\n".join(found)


def test_the_check_catches_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from trichometry.store.models import User\nfrom trichometry.store import audit\naudit.record(1)\n"
    )
    assert len(_violations(bad)) == 3
