"""Property-based: the server chain's string rule (rhip.kit.request_fields) flags exactly the text
it should, for any text (the server-side property, any message of any request type, runs in
test_bad_input with its platform). Seeded and bounded in ``make test``; ``make fuzz`` runs
more examples with a new seed."""

from __future__ import annotations

import re

from hypothesis import given, seed
from hypothesis import strategies as st
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.kit.request_fields import MAX_STRING, string_violations
from security.strategies import PROFILE, SEED

_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@seed(SEED)
@PROFILE
@given(st.text(max_size=300), st.booleans())
def test_property_the_string_rule_flags_exactly_control_characters_and_oversized_text(
    text: str, huge: bool
) -> None:
    if huge:
        text = (text or "x") * (MAX_STRING // max(len(text), 1) + 1)
    request = pb.LoginRequest(password=pb.PasswordCredentials(username=text, password="p"))
    flagged = [v.field for v in string_violations(request)]
    expected = len(text) > MAX_STRING or bool(_FORBIDDEN.search(text))
    assert flagged == (["password.username"] if expected else [])
