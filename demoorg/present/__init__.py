"""Presenting a story: working copies, the story runner, live actions, rehearsal and booth mode.

Pure Python (no Qt): the desktop app adapts these objects and their events to widgets and signals.
See ``docs/story-format.md``, section "Presenting", for how the pieces fit together.
"""

from demoorg.present.booth import BoothMode
from demoorg.present.catalog import Badge, StoryFit, feature_badges, stories_for_org, story_problems
from demoorg.present.events import Changes, DataChanged, EventHook, SceneChanged
from demoorg.present.rehearsal import (
    Feedback,
    Rehearsal,
    RehearsalLog,
    RehearsalReport,
    RehearsalRun,
    feedback_on,
    rehearsal_report,
)
from demoorg.present.runner import (
    ActionView,
    Move,
    SceneInfo,
    SceneTimer,
    SceneView,
    ShowTarget,
    StoryRunner,
)
from demoorg.present.workcopy import (
    PresentError,
    PresentSession,
    ShiftResult,
    open_session,
    presenting,
    shift_dates,
)

__all__ = [
    "ActionView",
    "Badge",
    "BoothMode",
    "Changes",
    "DataChanged",
    "EventHook",
    "Feedback",
    "Move",
    "PresentError",
    "PresentSession",
    "Rehearsal",
    "RehearsalLog",
    "RehearsalReport",
    "RehearsalRun",
    "SceneChanged",
    "SceneInfo",
    "SceneTimer",
    "SceneView",
    "ShiftResult",
    "ShowTarget",
    "StoryFit",
    "StoryRunner",
    "feature_badges",
    "feedback_on",
    "open_session",
    "presenting",
    "rehearsal_report",
    "shift_dates",
    "stories_for_org",
    "story_problems",
]
