"""Where templates live: the shipped ``industries/`` folder and the user's own template folder."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from demoorg.errors import UsageError

#: A template folder's name, as ``extends`` gives it: no separators, no drive, no ``..``.
_TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
#: The templates and stories that ship with demoorg.
BUILTIN_INDUSTRIES = Path(__file__).resolve().parents[2] / "industries"


def user_home() -> Path:
    """demoorg's own folder for the user's templates and recent orgs (``DEMOORG_HOME`` overrides)."""
    env = os.environ.get("DEMOORG_HOME")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "demoorg"


def user_industries() -> Path:
    return user_home() / "industries"


def template_roots() -> list[Path]:
    """Folders searched for templates, the user's own first so a user can refine a shipped one."""
    return [user_industries(), BUILTIN_INDUSTRIES]


def list_templates(roots: Iterable[Path] | None = None) -> list[Path]:
    """Every template folder (``<root>/<name>/template.yaml``), first root wins, bases (``_*``) left out."""
    found: dict[str, Path] = {}
    for root in roots or template_roots():
        if not root.is_dir():
            continue
        for child in sorted(root.iterdir()):
            if child.name.startswith(("_", ".")) or child.name in found:
                continue
            if (child / "template.yaml").is_file():
                found[child.name] = child
    return list(found.values())


def check_template_name(name: str) -> str:
    """Returns ``name`` if it names a template folder rather than a path, else raises UsageError."""
    if not _TEMPLATE_NAME.match(name) or name in (".", ".."):
        raise UsageError(
            f"{name!r} is not a template name (expected the name of a template folder, "
            "such as _core, not a path)"
        )
    return name


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for names the system refuses (too long, a NUL byte)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def find_template_dir(
    name_or_path: str | Path, roots: Iterable[Path] | None = None, near: Path | None = None
) -> Path:
    """Finds a template folder by industry name or by path.

    Args:
        name_or_path: ``medical``, or a folder holding ``template.yaml``.
        roots: folders to search by name; defaults to :func:`template_roots`.
        near: a folder searched first (a template's base is looked up beside it). A template
            names its base by name only: with ``near``, a path (``../x``, ``/x``, ``C:\\x``) is
            refused, so a template cannot reach outside the template folders.

    Raises:
        UsageError: no such template, naming the ones that exist; a path given with ``near``.
    """
    if near is not None:
        check_template_name(str(name_or_path))
    candidate = Path(name_or_path)
    if _is_file(candidate / "template.yaml"):
        return candidate
    if candidate.name == "template.yaml" and _is_file(candidate):
        return candidate.parent
    search = [near] if near else []
    search += list(roots or template_roots())
    name = str(name_or_path)
    for root in search:
        if _is_file(root / name / "template.yaml"):
            return root / name
    known = sorted({p.name for p in list_templates(search)})
    raise UsageError(
        f"unknown industry {name!r} (expected one of: {', '.join(known) or 'none found'})"
    )
