"""Rehearsal timings and audience feedback, saved with the org, and a report over past runs.

A :class:`Rehearsal` listens to a :class:`demoorg.present.runner.StoryRunner` and adds up the time
spent on each scene (revisits count too), using the runner's injected clock. :class:`RehearsalLog`
saves finished runs and feedback notes in the **baseline org**, in two tables of its own,
``_demoorg_rehearsals`` and ``_demoorg_feedback`` (in an org file, or in a server org's schema).
They travel with the org to another laptop or stay with it on the team's server; no CRM table and
no org metadata is touched, and an org without them simply has no history.
(It is the one write presenting makes to the baseline; the presentation itself runs on a working
copy.) :func:`rehearsal_report` turns runs and feedback into plain data for a table and a chart.

Nothing here reads the wall clock: callers pass timestamps (``started_at``, ``at``) as text.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from demoorg.content.stories import StoryDef
from demoorg.errors import OrgError, UsageError
from demoorg.present.events import SceneChanged
from demoorg.present.runner import StoryRunner
from demoorg.seeders.writers import PgTarget, parse_target

RUNS_TABLE = "_demoorg_rehearsals"
FEEDBACK_TABLE = "_demoorg_feedback"
#: What a feedback note is about.
FEEDBACK_KINDS = ("reaction", "question", "missing-feature")


@dataclass(frozen=True, slots=True)
class RehearsalRun:
    """One run through a story: seconds per scene index (scenes never opened are absent)."""

    story: str  # the story's key (file name)
    title: str
    seconds: tuple[tuple[int, float], ...]
    mode: str = "rehearsal"  # rehearsal | live | booth
    started_at: str = ""
    label: str = ""
    id: int | None = None

    @property
    def total(self) -> float:
        return sum(s for _, s in self.seconds)

    def at(self, index: int) -> float | None:
        """Seconds on scene ``index``, or None when the run never opened it."""
        return dict(self.seconds).get(index)


@dataclass(frozen=True, slots=True)
class Feedback:
    """A note tagged on a scene: an audience reaction, a question or a missing feature."""

    story: str
    scene: int
    scene_title: str
    kind: str
    text: str
    at: str = ""
    run: int | None = None
    id: int | None = None


class Rehearsal:
    """Times a runner's scenes from now until :meth:`finish`.

    Args:
        runner: the runner to time; its ``clock`` is used.
        mode: recorded with the run (``rehearsal``, ``live`` or ``booth``).
    """

    def __init__(self, runner: StoryRunner, mode: str = "rehearsal") -> None:
        self.runner = runner
        self.mode = mode
        self._seconds: dict[int, float] = {}
        self._index = runner.index
        self._since = runner.clock()
        self._finished = False
        runner.scene_changed.connect(self._on_scene_changed)

    def _on_scene_changed(self, event: SceneChanged) -> None:
        if event.index == self._index:
            return
        now = self.runner.clock()
        self._seconds[self._index] = self._seconds.get(self._index, 0.0) + (now - self._since)
        self._index, self._since = event.index, now

    def seconds(self) -> dict[int, float]:
        """Seconds per scene so far, the current scene included."""
        out = dict(self._seconds)
        if not self._finished:
            out[self._index] = out.get(self._index, 0.0) + (self.runner.clock() - self._since)
        return out

    def finish(self, started_at: str = "", label: str = "") -> RehearsalRun:
        """Stops timing and returns the run (save it with :meth:`RehearsalLog.save_run`)."""
        seconds = self.seconds()
        self._seconds, self._finished = seconds, True
        self.runner.scene_changed.disconnect(self._on_scene_changed)
        story = self.runner.story
        return RehearsalRun(
            story.key,
            story.title,
            tuple(sorted(seconds.items())),
            self.mode,
            started_at,
            label,
        )


class RehearsalLog:
    """Rehearsal runs and feedback of one org, stored inside it.

    Args:
        org: the baseline org (not the working copy): an org file, or an org on a server
            (``postgresql+psycopg://…/db#orgname`` or a PgTarget), whose schema gets the two tables.
    """

    def __init__(self, org: str | Path | PgTarget) -> None:
        try:
            target = parse_target(org)
        except UsageError as exc:
            raise OrgError(str(exc)) from None
        self._store: _FileStore | _ServerStore = (
            _ServerStore(target) if isinstance(target, PgTarget) else _FileStore(target)
        )

    @property
    def location(self) -> Path | PgTarget:
        """The org the log is kept in."""
        return self._store.location

    def save_run(self, run: RehearsalRun) -> int:
        """Saves a run; returns its id.

        Raises:
            OrgError: the org cannot be written (a read-only file, a locked one, a missing org, no
                right to create tables in the org's schema).
        """
        return self._store.insert(
            RUNS_TABLE,
            ("story", "title", "mode", "started_at", "label", "seconds"),
            (
                run.story,
                run.title,
                run.mode,
                run.started_at,
                run.label,
                json.dumps([[i, round(s, 3)] for i, s in run.seconds]),
            ),
            "the rehearsal could not be saved",
        )

    def runs(self, story: str | None = None) -> list[RehearsalRun]:
        """Saved runs, oldest first (of one story, by key, when given)."""
        sql = f"SELECT id, story, title, mode, started_at, label, seconds FROM {RUNS_TABLE}"
        rows = self._store.select(
            RUNS_TABLE,
            sql + (" WHERE story = ? ORDER BY id" if story else " ORDER BY id"),
            (story,) if story else (),
        )
        return [
            RehearsalRun(
                s,
                t or "",
                tuple((int(i), float(x)) for i, x in json.loads(secs)),
                mo or "",
                st or "",
                lb or "",
                rid,
            )
            for rid, s, t, mo, st, lb, secs in rows
        ]

    def delete_run(self, run_id: int) -> None:
        """Removes a saved run (and unlinks its feedback from it)."""
        self._store.execute(
            [
                (f"DELETE FROM {RUNS_TABLE} WHERE id = ?", (run_id,)),
                (f"UPDATE {FEEDBACK_TABLE} SET run = NULL WHERE run = ?", (run_id,)),
            ],
            "the rehearsal could not be deleted",
        )

    def add_feedback(self, note: Feedback) -> int:
        """Saves a feedback note; returns its id.

        Raises:
            ValueError: ``kind`` is not one of :data:`FEEDBACK_KINDS` or the text is empty.
            OrgError: the org cannot be written.
        """
        if note.kind not in FEEDBACK_KINDS:
            raise ValueError(f"feedback kind {note.kind!r} (expected one of {FEEDBACK_KINDS})")
        if not note.text.strip():
            raise ValueError("empty feedback (expected some text)")
        return self._store.insert(
            FEEDBACK_TABLE,
            ("story", "scene", "scene_title", "kind", "text", "at", "run"),
            (
                note.story,
                note.scene,
                note.scene_title,
                note.kind,
                note.text.strip(),
                note.at,
                note.run,
            ),
            "the feedback could not be saved",
        )

    def feedback(self, story: str | None = None) -> list[Feedback]:
        """Saved feedback, oldest first (of one story, by key, when given)."""
        sql = f"SELECT story, scene, scene_title, kind, text, at, run, id FROM {FEEDBACK_TABLE}"
        rows = self._store.select(
            FEEDBACK_TABLE,
            sql + (" WHERE story = ? ORDER BY id" if story else " ORDER BY id"),
            (story,) if story else (),
        )
        return [Feedback(*row) for row in rows]


#: The log's tables, as SQLite and PostgreSQL create them (``id`` numbers rows in both).
_COLUMNS = {
    RUNS_TABLE: "story TEXT NOT NULL, title TEXT, mode TEXT, started_at TEXT, label TEXT, "
    "seconds TEXT NOT NULL",
    FEEDBACK_TABLE: "story TEXT NOT NULL, scene INTEGER, scene_title TEXT, kind TEXT, text TEXT, "
    "at TEXT, run INTEGER",
}
_FILE_ID = "id INTEGER PRIMARY KEY"
_SERVER_ID = "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"


class _FileStore:
    """The log in an org file, through sqlite3 (reading never creates the tables)."""

    def __init__(self, path: Path) -> None:
        self.location = path

    def _connect(self, write: bool) -> sqlite3.Connection:
        mode = "rw" if write else "ro"
        path = self.location
        try:
            con = sqlite3.connect(f"file:{path.resolve()}?mode={mode}", uri=True, timeout=5)
        except sqlite3.Error as exc:
            raise OrgError(f"{path} cannot be opened for the rehearsal log: {exc}") from None
        if write:
            for table, columns in _COLUMNS.items():
                con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({_FILE_ID}, {columns})")
        return con

    def insert(
        self, table: str, columns: tuple[str, ...], values: tuple[Any, ...], what: str
    ) -> int:
        marks = ", ".join("?" for _ in columns)
        try:
            with closing(self._connect(True)) as con, con:
                cur = con.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values
                )
                return int(cur.lastrowid or 0)
        except sqlite3.Error as exc:
            raise OrgError(f"{self.location}: {what}: {exc}") from None

    def execute(self, statements: list[tuple[str, tuple[Any, ...]]], what: str) -> None:
        try:
            with closing(self._connect(True)) as con, con:
                for sql, params in statements:
                    con.execute(sql, params)
        except sqlite3.Error as exc:
            raise OrgError(f"{self.location}: {what}: {exc}") from None

    def select(self, table: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with closing(self._connect(False)) as con:
            exists = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone()
            return con.execute(sql, params).fetchall() if exists else []


class _ServerStore:
    """The log in a server org's schema, next to its CRM tables (through the org's engine)."""

    def __init__(self, target: PgTarget) -> None:
        self.location = target

    @contextmanager
    def _engine(self, what: str) -> Iterator[Engine]:
        from demoorg.org.server import connect_org, reason

        engine = connect_org(self.location, readonly=False)
        try:
            yield engine
        except DBAPIError as exc:
            raise OrgError(
                f"{self.location}: {what}: {reason(exc)} (the log is kept in the org's schema: "
                "expected the right to create tables and write there)"
            ) from None
        finally:
            engine.dispose()

    def _create(self, conn: Connection) -> None:
        # Two presenters saving their first run at once would race to create the tables.
        conn.exec_driver_sql(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':rehearsal-log'))"
        )
        for table, columns in _COLUMNS.items():
            conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {table} ({_SERVER_ID}, {columns})")

    def insert(
        self, table: str, columns: tuple[str, ...], values: tuple[Any, ...], what: str
    ) -> int:
        marks = ", ".join("?" for _ in columns)
        with self._engine(what) as engine, engine.begin() as conn:
            self._create(conn)
            new_id = conn.exec_driver_sql(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) RETURNING id", values
            ).scalar_one()
            return int(new_id)

    def execute(self, statements: list[tuple[str, tuple[Any, ...]]], what: str) -> None:
        with self._engine(what) as engine, engine.begin() as conn:
            self._create(conn)
            for sql, params in statements:
                conn.exec_driver_sql(sql, params)

    def select(self, table: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._engine("the log could not be read") as engine, engine.connect() as conn:
            exists = conn.exec_driver_sql(
                "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?",
                (table,),
            ).first()
            return [tuple(r) for r in conn.exec_driver_sql(sql, params)] if exists else []


def feedback_on(
    runner: StoryRunner, kind: str, text: str, at: str = "", run: int | None = None
) -> Feedback:
    """A feedback note on the runner's current scene (save it with :meth:`RehearsalLog.add_feedback`)."""
    scene = runner.current.scene
    return Feedback(runner.story.key, scene.index, scene.title, kind, text, at, run)


# --- the report --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SceneTiming:
    """One scene across runs: seconds per run (aligned with the report's runs; None = not opened)."""

    index: int
    title: str
    budget: int
    seconds: tuple[float | None, ...]
    feedback: tuple[Feedback, ...] = ()

    @property
    def last(self) -> float | None:
        return next((s for s in reversed(self.seconds) if s is not None), None)

    @property
    def best(self) -> float | None:
        done = [s for s in self.seconds if s is not None]
        return min(done) if done else None

    @property
    def mean(self) -> float | None:
        done = [s for s in self.seconds if s is not None]
        return sum(done) / len(done) if done else None

    @property
    def over_budget(self) -> float | None:
        """Seconds the last run went over (negative: under) this scene's budget."""
        return None if self.last is None else self.last - self.budget

    @property
    def change(self) -> float | None:
        """The last run against the run before it (negative: faster)."""
        done = [s for s in self.seconds if s is not None]
        return done[-1] - done[-2] if len(done) >= 2 else None


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: int | None
    started_at: str
    mode: str
    label: str
    total: float
    over: int  # scenes over budget


@dataclass(frozen=True, slots=True)
class RehearsalReport:
    """Per-run, per-scene durations against budgets and against each other.

    ``scenes`` are the table's rows (one per scene of the story), ``runs`` its columns.
    :meth:`series` gives the same numbers as chart series.
    """

    story: str
    title: str
    length: int
    runs: tuple[RunSummary, ...]
    scenes: tuple[SceneTiming, ...]
    feedback: tuple[Feedback, ...] = field(default=())

    def series(self) -> dict[str, list[float | None]]:
        """``{"Budget": [...], "<run label>": [...], …}``: seconds per scene, in scene order."""
        out: dict[str, list[float | None]] = {"Budget": [float(s.budget) for s in self.scenes]}
        for i, run in enumerate(self.runs):
            name = run.label or run.started_at or f"Run {run.id or i + 1}"
            if name in out:
                name = f"{name} ({i + 1})"
            out[name] = [s.seconds[i] for s in self.scenes]
        return out


def rehearsal_report(
    story: StoryDef, runs: Iterable[RehearsalRun], feedback: Iterable[Feedback] = ()
) -> RehearsalReport:
    """The report over ``runs`` of ``story`` (other stories' runs and notes are ignored)."""
    runs = [r for r in runs if r.story == story.key]
    notes = [f for f in feedback if f.story == story.key]
    scenes = tuple(
        SceneTiming(
            s.index,
            s.title,
            s.budget,
            tuple(r.at(s.index) for r in runs),
            tuple(f for f in notes if f.scene == s.index),
        )
        for s in story.scenes
    )
    summaries = tuple(
        RunSummary(
            r.id,
            r.started_at,
            r.mode,
            r.label,
            r.total,
            sum(1 for s in story.scenes if (r.at(s.index) or 0) > s.budget),
        )
        for r in runs
    )
    return RehearsalReport(story.key, story.title, story.length, summaries, scenes, tuple(notes))


def report_rows(report: RehearsalReport) -> list[dict[str, Any]]:
    """The report as plain rows (scene, budget, last, best, mean, over budget, change, notes)."""
    return [
        {
            "scene": s.index + 1,
            "title": s.title,
            "budget": s.budget,
            "last": s.last,
            "best": s.best,
            "mean": s.mean,
            "over_budget": s.over_budget,
            "change": s.change,
            "feedback": len(s.feedback),
        }
        for s in report.scenes
    ]
