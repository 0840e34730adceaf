"""Saving a user's template or story: refused when it does not load, never half-written.

:func:`demoorg.content.files.save_content` is how demoorg writes a user's template or story (pack
installs write through the same durable write). Each test starts from a user template with a
story, and checks the file a user would open next: the previous version byte for byte after any
failure, the new one after success, and no temporary file either way.
"""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from demoorg.content import files
from demoorg.content.files import BACKUP_SUFFIX, WriteFailed, save_content
from demoorg.errors import ContentError, UsageError

REPO = Path(__file__).resolve().parents[2]

TEMPLATE = textwrap.dedent(
    """\
    industry: shop
    label: Shop
    description: {description}
    objects:
      Account:
        count: 20
        fields:
          Name: {{type: text, faker: company}}
    heroes:
      acme: {{object: Account, fields: {{Name: Acme}}}}
    """
)


def story_text(title: str, hero: str = "acme", padding: str = "") -> str:
    """A valid story of the shop template (six scenes on the hero ``acme``)."""
    scenes = "".join(
        f"  - title: Scene {n}{padding}\n    show: {{record: hero.{hero}}}\n    say: Hello.\n    budget: 60s\n"
        for n in range(1, 7)
    )
    return f"story: {title}\npersona: CFO\nlength: 6m\nsummary: A tour.\nscenes:\n{scenes}"


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    folder = tmp_path / "industries" / "shop"
    (folder / "stories").mkdir(parents=True)
    (folder / "template.yaml").write_text(TEMPLATE.format(description="First"), "utf-8")
    (folder / "stories" / "tour.yaml").write_text(story_text("First tour"), "utf-8")
    return folder


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_save_replaces_the_file_and_keeps_the_previous_version(shop: Path) -> None:
    story = shop / "stories" / "tour.yaml"
    old = story.read_bytes()
    backup = save_content(story, story_text("Second tour"))
    assert backup == story.with_name("tour.yaml" + BACKUP_SUFFIX)
    assert backup.read_bytes() == old
    assert "Second tour" in story.read_text("utf-8")
    template = shop / "template.yaml"
    assert save_content(template, TEMPLATE.format(description="Second")) is not None
    assert "Second" in template.read_text("utf-8")
    assert hidden(shop) == [] and hidden(shop / "stories") == []
    new_story = shop / "stories" / "new.yaml"
    assert save_content(new_story, story_text("New")) is None


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("template.yaml", "industry: shop\nlabel: Shop\nobjects: {}\n", "template.yaml:"),
        ("template.yaml", "industry: [shop\n", "template.yaml:2:"),
        (
            "stories/tour.yaml",
            story_text("Tour", hero="nobody"),
            "tour.yaml:7:",
        ),
        ("stories/tour.yaml", "story: Tour\npersona: CFO\nscenes: 3\n", "tour.yaml:"),
    ],
)
def test_text_that_does_not_load_is_refused_and_the_file_untouched(
    shop: Path, name: str, text: str, where: str
) -> None:
    path = shop / name
    before = digest(path)
    with pytest.raises(ContentError) as caught:
        save_content(path, text)
    message = str(caught.value)
    assert where in message and len(message.splitlines()) == 1, message
    assert ".checking-" not in message  # the error names the user's file
    assert digest(path) == before
    assert not path.with_name(path.name + BACKUP_SUFFIX).exists()
    assert hidden(shop) == [] and hidden(shop / "stories") == []


def test_only_templates_and_stories_are_saved(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="neither a template nor a story"):
        save_content(tmp_path / "notes.txt", "hello")


@pytest.mark.parametrize("step", ["open", "write", "fsync", "replace"])
def test_a_failure_at_any_write_step_keeps_the_previous_version(
    shop: Path,
    step: str,
    monkeypatch: pytest.MonkeyPatch,
    tally: Callable[[str, int], None],
) -> None:
    story = shop / "stories" / "tour.yaml"
    new_text = story_text("Second tour")
    tried = 0
    for at in range(1, 20):
        story.write_text(story_text("First tour"), "utf-8")
        backup = story.with_name("tour.yaml" + BACKUP_SUFFIX)
        backup.unlink(missing_ok=True)
        before = digest(story)
        calls = {"n": 0}
        real = getattr(os, step)

        def failing(
            *args: Any, _real: Any = real, _at: int = at, _calls: Any = calls, **kwargs: Any
        ) -> Any:
            _calls["n"] += 1
            if _calls["n"] == _at:
                raise OSError(errno.ENOSPC, "No space left on device")
            return _real(*args, **kwargs)

        with monkeypatch.context() as mp:
            mp.setattr(os, step, failing)
            try:
                save_content(story, new_text)
                failed = False
            except WriteFailed as exc:
                failed = True
                assert str(exc).startswith(f"cannot write story {story}: the disk is full")
        if calls["n"] < at:
            assert not failed
            break  # the save has fewer such steps than `at`: all were tried
        tried += 1
        if failed:
            assert digest(story) == before
        else:  # only opening or syncing the folder after the rename may fail quietly
            assert step in ("open", "fsync") and story.read_text("utf-8") == new_text
        assert hidden(shop / "stories") == []
    assert tried >= 1
    tally("save faults survived", tried)


#: Saves a story, killing the process at the Nth call of one write step.
#: argv: the step (an os function), N, the story, a file holding the new text.
KILL_SAVE = r"""
import os, signal, sys
from demoorg.content.files import save_content
step, at, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
text = open(sys.argv[4], encoding="utf-8").read()
real = getattr(os, step)
calls = [0]
def dying(*a, **k):
    calls[0] += 1
    if calls[0] == at:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*a, **k)
setattr(os, step, dying)
save_content(path, text)
print("saved", calls[0])
"""


def test_a_save_killed_at_any_step_leaves_the_old_or_the_new_file(
    shop: Path, tally: Callable[[str, int], None]
) -> None:
    story = shop / "stories" / "tour.yaml"
    old_text = story_text("First tour", padding=" long" * 5000)  # several write calls' worth
    new_text = story_text("Second tour", padding=" longer" * 5000)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    new_file = shop.parent / "new-text.yaml"
    new_file.write_text(new_text, "utf-8")
    kills = 0
    for step in ("open", "write", "fsync", "replace"):
        for at in range(1, 12):
            story.write_text(old_text, "utf-8")
            done = subprocess.run(
                [sys.executable, "-c", KILL_SAVE, step, str(at), str(story), str(new_file)],
                env=env,
                capture_output=True,
                text=True,
            )
            text = story.read_text("utf-8")
            assert text in (old_text, new_text)
            if done.returncode == 0:
                assert text == new_text
                break
            assert done.returncode == -signal.SIGKILL, done.stderr
            kills += 1
            # The next save removes what the killed one left.
            save_content(story, old_text)
            assert hidden(shop / "stories") == []
    assert kills >= 8
    tally("save kill points survived", kills)


def test_pack_install_writes_through_the_durable_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from demoorg.content.packs import install_pack, make_pack

    pack = make_pack(REPO / "industries" / "medical", tmp_path / "medical.demopack").path
    written: list[str] = []
    real = files.write_new_file

    def spy(path: Path, data: bytes) -> None:
        written.append(Path(path).name)
        real(path, data)

    monkeypatch.setattr(files, "write_new_file", spy)
    root = tmp_path / "mine"
    install_pack(pack, root=root)
    assert "template.yaml" in written
    assert (root / "medical" / "template.yaml").is_file()
    assert hidden(root) == []
