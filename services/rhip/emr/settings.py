"""The emr service's own settings (``RHIP_EMR_*``), loaded from the process environment the
shared settings carry (``Settings.env``); a bad value fails the cell's start with a
ConfigError naming the variable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rhip.kit.config import ConfigError, env_int
from rhip.kit.tenancy import is_region_code, region_path

RESULT_CLASSES = ("LAB_TEST", "EXAMINATION")
DEFAULT_WINDOWS = "LAB_TEST=30,EXAMINATION=180"


@dataclass(frozen=True)
class RecognitionWindows:
    """Validity windows in days per result class, optionally per region (the window is a
    local, clinical choice: docs/domain §6.4): the viewer's innermost region that sets one
    wins, else the default."""

    default: Mapping[str, int] = field(default_factory=lambda: {"LAB_TEST": 30, "EXAMINATION": 180})
    by_region: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # path → class → days

    def days(self, result_class: str, viewer_path: str) -> int:
        best, depth = self.default.get(result_class, 0), -1
        for path, windows in self.by_region.items():
            inside = viewer_path == path or viewer_path.startswith(path + "/")
            if inside and result_class in windows and path.count("/") > depth:
                best, depth = windows[result_class], path.count("/")
        return best


@dataclass(frozen=True)
class EmrSettings:
    # How long a break-glass access lasts (issue 16: default 4 hours).
    break_glass_hours: int = 4
    # Documents one SubmitDocuments stream may carry; more is refused before anything is stored.
    max_stream_documents: int = 5000
    windows: RecognitionWindows = field(default_factory=RecognitionWindows)
    # Between two passes naming the timeline entries that came without a name (timeline/names.py).
    timeline_names_seconds: float = 60.0
    # Between two reads of identity's resident change feed (merges: timeline/merges.py).
    resident_events_seconds: float = 5.0


def load_emr_settings(env: Mapping[str, str]) -> EmrSettings:
    return EmrSettings(
        break_glass_hours=env_int(env, "RHIP_EMR_BREAK_GLASS_HOURS", 4, 1, 72),
        max_stream_documents=env_int(env, "RHIP_EMR_MAX_STREAM_DOCUMENTS", 5000, 1, 100_000),
        windows=parse_windows(env.get("RHIP_EMR_RECOGNITION_WINDOWS") or DEFAULT_WINDOWS),
        timeline_names_seconds=env_int(
            env, "RHIP_EMR_TIMELINE_NAMES_INTERVAL_MS", 60_000, 100, 3_600_000
        )
        / 1000,
        resident_events_seconds=env_int(
            env, "RHIP_EMR_RESIDENT_EVENTS_INTERVAL_MS", 5_000, 50, 3_600_000
        )
        / 1000,
    )


def parse_windows(raw: str) -> RecognitionWindows:
    """``LAB_TEST=30,EXAMINATION=180,320000:LAB_TEST=14`` (days; a region code prefix sets the
    window for that region and below)."""
    name = "RHIP_EMR_RECOGNITION_WINDOWS"
    default: dict[str, int] = {}
    by_region: dict[str, dict[str, int]] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        where, _, setting = part.rpartition(":")
        klass, _, days = setting.partition("=")
        if klass not in RESULT_CLASSES or not days.isdigit() or not 0 < int(days) <= 3650:
            raise ConfigError(f"{name}: {part!r} must look like LAB_TEST=30 (1–3650 days)")
        if where and not is_region_code(where):
            raise ConfigError(f"{name}: {where!r} is not a 6-digit region code")
        target = by_region.setdefault(region_path(where), {}) if where else default
        target[klass] = int(days)
    for klass in RESULT_CLASSES:
        default.setdefault(klass, 30 if klass == "LAB_TEST" else 180)
    return RecognitionWindows(default, by_region)
