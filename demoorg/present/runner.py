"""The story runner: a pure state machine over a working copy, with exact Back, Jump and Reset.

A presentation is a line of *positions*. Each available scene contributes one position when it
opens and one more after each of its live actions::

    scene 1 · scene 2 · scene 2 after action 1 · scene 3 · …

:meth:`StoryRunner.next` moves one position on (so on a scene with live actions the first presses
perform them, one per press, like slide builds), :meth:`StoryRunner.back` one position back (undoing
the last action, or returning to the previous scene as it ended), and :meth:`StoryRunner.jump`
opens a scene as it starts. The data at a position is always the baseline plus exactly the actions
before it: moving undoes or performs actions (:mod:`demoorg.present.actions`) until the working
copy matches. :meth:`StoryRunner.reset` undoes everything; ``reset(hard=True)`` copies the prepared
start copy back over the working copy.

Scenes whose required features are not available in the org are skipped, with a notice on the
scene shown instead. Time comes from an injected ``clock`` (seconds, e.g. ``time.monotonic``);
the runner never reads the wall clock. Events (:mod:`demoorg.present.events`) tell the UI what
happened: ``scene_changed`` after every move, ``data_changed`` when records changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from demoorg.content.stories import Action, SceneDef, Spotlight, StoryDef, describe_action
from demoorg.org.query import ListSpec
from demoorg.present.actions import ActionRecord, LiveData, fill_placeholders
from demoorg.present.catalog import Badge, feature_badges, story_problems
from demoorg.present.events import Changes, DataChanged, EventHook, SceneChanged
from demoorg.present.workcopy import PresentError, PresentSession


@dataclass(frozen=True, slots=True)
class ShowTarget:
    """What the audience window shows, resolved against the working copy.

    - ``kind == "list"``: a list view of ``object`` filtered by ``where`` (pass
      :meth:`list_spec` to :class:`demoorg.org.query.OrgReader`);
    - ``kind == "record"``: the record page of ``record_id`` (of ``object``), named
      ``record_name``; ``record_id`` is None when no record matched (``problem`` says why);
    - ``kind == "dashboard"``: the dashboard ``dashboard``.
    """

    kind: str
    object: str | None = None
    record_id: str | None = None
    record_name: str | None = None
    where: tuple[tuple[str, str, Any], ...] = ()
    dashboard: str | None = None
    problem: str = ""

    def list_spec(self) -> ListSpec:
        """The list view of a ``list`` target (object and filter; default columns and sort)."""
        return ListSpec(self.object or "", where=self.where)


@dataclass(frozen=True, slots=True)
class ActionView:
    """A live action of the current scene: its label for the console, and whether it is done."""

    index: int
    kind: str
    label: str
    done: bool


@dataclass(frozen=True, slots=True)
class SceneInfo:
    """A scene of the story as this org presents it (for the console's scene list).

    ``available`` is False when the scene needs a feature the org lacks (``reason`` says which) or
    builds on a skipped scene's record. ``badges`` are the story's and the scene's features;
    ``forward_looking`` is set when one of them is not GA.
    """

    index: int
    scene: SceneDef
    available: bool
    reason: str
    badges: tuple[Badge, ...]

    @property
    def forward_looking(self) -> bool:
        return any(b.forward_looking for b in self.badges)

    @property
    def steps(self) -> int:
        return len(self.scene.actions)


@dataclass(frozen=True, slots=True)
class SceneView:
    """Everything the presenter console and the audience window need for the current position.

    ``number`` and ``count`` count available scenes only (``3 / 8``); ``index`` is the scene's
    index in the story. ``step`` of ``steps`` live actions are done; ``next_action`` is the label
    of the one Next performs (None when Next opens the next scene). ``notices`` explain skipped
    scenes around this one. ``title``, ``say`` and ``notes`` have their placeholders filled.
    """

    index: int
    number: int
    count: int
    title: str
    say: str
    notes: str
    budget: int
    show: ShowTarget
    spotlight: Spotlight | None
    badges: tuple[Badge, ...]
    forward_looking: bool
    notices: tuple[str, ...]
    actions: tuple[ActionView, ...]
    step: int
    steps: int
    next_action: str | None
    next_title: str | None
    is_first: bool
    is_last: bool


@dataclass(frozen=True, slots=True)
class SceneTimer:
    """Time on the current scene and in the whole run, in seconds, against their budgets."""

    elapsed: float
    budget: int
    story_elapsed: float
    story_length: int

    @property
    def remaining(self) -> float:
        return self.budget - self.elapsed

    @property
    def over(self) -> bool:
        return self.elapsed > self.budget


@dataclass(frozen=True, slots=True)
class Move:
    """The result of a navigation call: where the runner is now and what data changed."""

    moved: bool
    index: int
    step: int
    changes: Changes


class StoryRunner:
    """Presents one story on a working copy.

    Args:
        session: the working copy (:func:`demoorg.present.workcopy.open_session`).
        story: a story loaded for the org's industry.
        clock: seconds from any fixed origin (``time.monotonic`` in the app, a fake in tests).

    Raises:
        PresentError: the org lacks something the story needs (a hero, an object, a field, a
            dashboard), a story-wide feature is not available, or no scene is available.

    Navigation (:meth:`next`, :meth:`back`, :meth:`jump`, :meth:`perform`, :meth:`undo`,
    :meth:`reset`) runs database work: call it off the GUI thread and refresh views from the
    returned :class:`Move` or the ``data_changed`` event.
    """

    def __init__(
        self, session: PresentSession, story: StoryDef, clock: Callable[[], float]
    ) -> None:
        self.session = session
        self.story = story
        self.clock = clock
        self.scene_changed: EventHook[SceneChanged] = EventHook()
        self.data_changed: EventHook[DataChanged] = EventHook()
        meta = session.meta
        problems = story_problems(story, meta)
        if problems:
            raise PresentError(f"story {story.title!r} does not fit this org: {problems[0]}")
        story_badges = feature_badges(story.requires, meta)
        missing = [b.label for b in story_badges if not b.available]
        if missing:
            raise PresentError(
                f"story {story.title!r} needs {', '.join(missing)}, which this org "
                f"({meta['build']['release']}) does not have"
            )
        self.live = LiveData(session.org)
        self.scenes = self._scene_infos(meta)
        self._available = [s.index for s in self.scenes if s.available]
        if not self._available:
            raise PresentError(f"no scene of {story.title!r} can be shown on this org")
        self._applied: list[ActionRecord] = []
        self.index = self._available[0]
        self.step = 0
        self._started = clock()
        self._entered = self._started

    # --- scenes --------------------------------------------------------------------------------------

    def _scene_infos(self, meta: dict[str, Any]) -> tuple[SceneInfo, ...]:
        made_by: dict[str, int] = {}
        skipped: set[int] = set()
        out = []
        for scene in self.story.scenes:
            badges = feature_badges((*self.story.requires, *scene.requires), meta)
            missing = [b for b in badges if not b.available]
            reason = ""
            if missing:
                reason = "needs " + ", ".join(
                    f"{b.label} (not available on {meta['build']['release']})" for b in missing
                )
            else:
                for dep in _new_refs(scene):
                    if dep in made_by and made_by[dep] in skipped:
                        reason = f"uses new.{dep}, made in skipped scene {made_by[dep] + 1}"
                        break
            for action in scene.actions:
                if action.kind == "create" and action.key:
                    made_by[action.key] = scene.index
            if reason:
                skipped.add(scene.index)
            out.append(SceneInfo(scene.index, scene, not reason, reason, badges))
        return tuple(out)

    @property
    def current(self) -> SceneInfo:
        return self.scenes[self.index]

    @property
    def available(self) -> list[int]:
        """Indexes of the scenes this org can show, in order."""
        return list(self._available)

    def _positions(self) -> list[tuple[int, int]]:
        return [(i, k) for i in self._available for k in range(self.scenes[i].steps + 1)]

    def _target_actions(self, index: int, step: int) -> list[tuple[int, int]]:
        keys = [(i, a) for i in self._available if i < index for a in range(self.scenes[i].steps)]
        return keys + [(index, a) for a in range(step)]

    # --- moving --------------------------------------------------------------------------------------

    def next(self) -> Move:
        """Performs the current scene's next live action, or opens the next scene."""
        positions = self._positions()
        pos = positions.index((self.index, self.step))
        if pos + 1 >= len(positions):
            return Move(False, self.index, self.step, Changes())
        return self._goto(*positions[pos + 1])

    def back(self) -> Move:
        """Undoes the current scene's last live action, or returns to the previous scene as it
        ended (its live actions done)."""
        positions = self._positions()
        pos = positions.index((self.index, self.step))
        if pos == 0:
            return Move(False, self.index, self.step, Changes())
        return self._goto(*positions[pos - 1])

    def jump(self, index: int) -> Move:
        """Opens scene ``index`` (0-based, in the story) as it starts: the data is the baseline
        plus the live actions of every earlier available scene.

        Raises:
            PresentError: the scene is skipped on this org (its ``reason`` says why).
            IndexError: there is no such scene.
        """
        if not 0 <= index < len(self.scenes):
            raise IndexError(f"scene {index} (expected 0 to {len(self.scenes) - 1})")
        info = self.scenes[index]
        if not info.available:
            raise PresentError(f"scene {index + 1} ({info.scene.title}) is skipped: {info.reason}")
        return self._goto(index, 0)

    def perform(self) -> Move:
        """Performs the current scene's next live action (no move when all are done)."""
        if self.step >= self.current.steps:
            return Move(False, self.index, self.step, Changes())
        return self._goto(self.index, self.step + 1)

    def skip(self) -> Move:
        """Passes over the current scene's next live action without changing any data.

        For a presentation that must go on when an action cannot run on this org (its record
        is missing in a small build): the action counts as done and Back passes over it.
        """
        if self.step >= self.current.steps:
            return Move(False, self.index, self.step, Changes())
        action = self.current.scene.actions[self.step]
        label = f"{describe_action(action)} (skipped)"
        self._applied.append(ActionRecord(self.index, self.step, label))
        before = (self.index, self.step)
        self.step += 1
        self.scene_changed.emit(SceneChanged(self.index, self.step, *before))
        return Move(True, self.index, self.step, Changes())

    def undo(self) -> Move:
        """Undoes the current scene's last live action (no move when none is done)."""
        if self.step == 0:
            return Move(False, self.index, self.step, Changes())
        return self._goto(self.index, self.step - 1)

    def reset(self, hard: bool = False) -> Move:
        """Back to the first scene and the baseline data.

        Args:
            hard: copy the prepared start copy over the working copy instead of undoing the live
                actions (also clears changes made to the working copy outside the runner).
        """
        before = (self.index, self.step)
        if hard:
            self.session.restore()
            self._applied.clear()
            self.live.created.clear()
            changes = Changes(everything=True)
            self.data_changed.emit(DataChanged(changes, "restore"))
        else:
            changes = Changes()
            labels = []
            while self._applied:
                record = self._applied.pop()
                self.live.undo(record)
                changes = changes | record.changes
                labels.append(record.label)
            if changes:
                self.data_changed.emit(DataChanged(changes, "reset", tuple(labels)))
        self.index, self.step = self._available[0], 0
        now = self.clock()
        self._started = self._entered = now
        moved = (self.index, self.step) != before
        if moved:
            self.scene_changed.emit(SceneChanged(self.index, 0, *before))
        return Move(moved, self.index, self.step, changes)

    def _goto(self, index: int, step: int) -> Move:
        before = (self.index, self.step)
        target = self._target_actions(index, step)
        applied = [(r.scene, r.action) for r in self._applied]
        common = 0
        while common < min(len(target), len(applied)) and target[common] == applied[common]:
            common += 1
        done_changes, undone_changes = Changes(), Changes()
        done_labels: list[str] = []
        undone_labels: list[str] = []
        error: PresentError | None = None
        while len(self._applied) > common:
            record = self._applied.pop()
            self.live.undo(record)
            undone_changes = undone_changes | record.changes
            undone_labels.append(record.label)
        for scene_index, action_index in target[common:]:
            action = self.story.scenes[scene_index].actions[action_index]
            label = describe_action(action)
            try:
                record = self.live.perform(action, scene_index, action_index, label)
            except PresentError as exc:
                # Stop where the data is consistent: just before the action that failed.
                index, step = scene_index, action_index
                error = PresentError(f"{label}: {exc}")
                break
            self._applied.append(record)
            done_changes = done_changes | record.changes
            done_labels.append(label)
        if undone_changes:
            self.data_changed.emit(DataChanged(undone_changes, "undo", tuple(undone_labels)))
        if done_changes:
            self.data_changed.emit(DataChanged(done_changes, "action", tuple(done_labels)))
        self.index, self.step = index, step
        if index != before[0]:
            self._entered = self.clock()
        if (index, step) != before:
            self.scene_changed.emit(SceneChanged(index, step, *before))
        if error is not None:
            raise error
        return Move((index, step) != before, index, step, undone_changes | done_changes)

    # --- what to show ----------------------------------------------------------------------------------

    def timer(self) -> SceneTimer:
        """Time on this scene (since it opened) and since the run started or was reset."""
        now = self.clock()
        return SceneTimer(
            now - self._entered, self.current.scene.budget, now - self._started, self.story.length
        )

    def fill(self, text: str) -> str:
        """A title or talk track with ``{prospect}`` and ``{hero.<key>}`` (the hero's name) filled."""

        def value(name: str) -> str | None:
            if name == "prospect":
                return self.live.prospect
            hero = self.live.heroes.get(name.removeprefix("hero."))
            if hero is None:
                return None
            with self.session.org.engine.connect() as conn:
                return self.live.record_name(conn, hero["object"], hero["id"])

        return fill_placeholders(text, value)

    def resolve_show(self, scene: SceneDef) -> ShowTarget:
        """The scene's ``show`` against the working copy as it is now."""
        show = scene.show
        if show.kind == "dashboard":
            return ShowTarget("dashboard", dashboard=show.dashboard)
        with self.session.org.engine.connect() as conn:
            try:
                if show.kind == "list":
                    where = self.live.resolve_where(conn, show.where.clauses)
                    return ShowTarget("list", object=show.object, where=where)
                obj, rid = self.live.resolve(conn, show.record)  # type: ignore[arg-type]
                name = self.live.record_name(conn, obj, rid)
                return ShowTarget("record", object=obj, record_id=rid, record_name=name)
            except PresentError as exc:
                return ShowTarget(show.kind, object=show.object, problem=str(exc))

    def notices(self) -> tuple[str, ...]:
        """Skipped scenes between the previous available scene and this one."""
        pos = self._available.index(self.index)
        low = self._available[pos - 1] + 1 if pos else 0
        high = self._available[pos + 1] if pos + 1 < len(self._available) else len(self.scenes)
        return tuple(
            f"Skipped scene {s.index + 1} ({s.scene.title}): {s.reason}"
            for s in self.scenes[low:high]
            if not s.available
        )

    def view(self) -> SceneView:
        """The current position, resolved for display (one short read of the working copy)."""
        info = self.current
        scene = info.scene
        pos = self._available.index(self.index)
        nxt = self._available[pos + 1] if pos + 1 < len(self._available) else None
        actions = tuple(
            ActionView(i, a.kind, describe_action(a), i < self.step)
            for i, a in enumerate(scene.actions)
        )
        return SceneView(
            index=self.index,
            number=pos + 1,
            count=len(self._available),
            title=self.fill(scene.title),
            say=self.fill(scene.say),
            notes=self.fill(scene.notes),
            budget=scene.budget,
            show=self.resolve_show(scene),
            spotlight=scene.spotlight,
            badges=info.badges,
            forward_looking=info.forward_looking,
            notices=self.notices(),
            actions=actions,
            step=self.step,
            steps=info.steps,
            next_action=actions[self.step].label if self.step < info.steps else None,
            next_title=self.fill(self.scenes[nxt].scene.title) if nxt is not None else None,
            is_first=pos == 0 and self.step == 0,
            is_last=nxt is None and self.step >= info.steps,
        )

    @property
    def forward_looking(self) -> bool:
        """True when any available scene shows a feature that is not GA (show the reminder)."""
        return any(s.forward_looking for s in self.scenes if s.available)

    @property
    def applied(self) -> tuple[ActionRecord, ...]:
        """The live actions in effect, oldest first (for diagnostics and tests)."""
        return tuple(self._applied)


def _new_refs(scene: SceneDef) -> list[str]:
    """``new.<key>`` names a scene reads (in what it shows and in its actions)."""
    refs = []
    candidates: list[Any] = [scene.show.record]
    candidates += [v for _, _, v in scene.show.where.clauses]
    for action in scene.actions:
        candidates.append(action.record)
        candidates += [v for _, v in action.values]
    for c in candidates:
        new = getattr(c, "new", None)
        if new:
            refs.append(new)
    return refs


def action_labels(actions: tuple[Action, ...]) -> list[str]:
    """Console labels of live actions (the story's ``label``, or a generated one)."""
    return [describe_action(a) for a in actions]
