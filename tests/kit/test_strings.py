"""rhip.kit.request_fields: every string of a request, nested messages, repeated fields and map keys
and values included, is checked for control characters and length, and named by its path."""

from __future__ import annotations

from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.kit.request_fields import CONTROL, MAX_STRING, TOO_LONG, string_violations


def _fields(message: object) -> list[tuple[str, str]]:
    return [(v.field, v.description) for v in string_violations(message)]


def test_every_string_of_a_request_is_checked_where_it_sits() -> None:
    request = apb.CreateCheckUpRequest(
        parent="healthRecords/a\x00",
        check_up=rec.CheckUp(
            abnormalities=["血压偏高\n建议复查", "x\x07"],
            physical_exam={"skin\x1b": "normal"},
            exam_date="y" * (MAX_STRING + 1),
        ),
    )
    assert _fields(request) == [
        ("parent", CONTROL),
        ("check_up.exam_date", TOO_LONG),
        ("check_up.physical_exam", CONTROL),  # the key
        ("check_up.abnormalities[1]", CONTROL),
    ]
    values = apb.CreateCheckUpRequest(check_up=rec.CheckUp(physical_exam={"lungs": "啰音\x00"}))
    assert _fields(values) == [("check_up.physical_exam['lungs']", CONTROL)]


def test_text_with_tabs_and_line_breaks_and_any_script_passes() -> None:
    request = apb.CreateCheckUpRequest(
        parent="healthRecords/0193",
        check_up=rec.CheckUp(
            abnormalities=["第一行\r\n\t第二行 🙂 ✓"], health_problems="x" * MAX_STRING
        ),
    )
    assert _fields(request) == []
