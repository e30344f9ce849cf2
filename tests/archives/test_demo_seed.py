"""The archives demo data of `make run`: seeded through the use cases in a serving cell, seen
through the API by the demo doctors, and unchanged by a restart that seeds again."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import grpc
from conftest import make_settings
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.archives.demo import RESIDENTS, ArchivesDemo, fictional_id_number, seed_archives_demo
from rhip.cell import Cell, build_cell
from rhip.demo import DEMO_PASSWORD
from rhip.identity.demo import seed_demo
from rhip.identity.residents.documents import DocumentType, parse_document
from rhip.kit.config import Settings
from support.logs import ID_SHAPED

TIMEOUT = 15


def _serve_and_seed(settings: Settings) -> tuple[Cell, ArchivesDemo]:
    cell = build_cell(settings)
    seed_demo(cell.part("identity").usecases)
    cell.start("127.0.0.1:0", serving=False)
    seeded = seed_archives_demo(
        cell.part("identity").usecases,
        cell.part("identity").residents,
        cell.part("archives").usecases,
    )
    cell.server.set_serving()
    return cell, seeded


def _doctor(channel: grpc.Channel, username: str) -> tuple[list[tuple[str, str]], str]:
    reply = identity_service_pb2_grpc.IdentityServiceStub(channel).Login(
        pb.LoginRequest(password=pb.PasswordCredentials(username=username, password=DEMO_PASSWORD)),
        timeout=TIMEOUT,
    )
    return [
        ("authorization", f"Bearer {reply.access_token}")
    ], f"tenants/{reply.principal.tenant_id}"


def _what_the_doctors_see(cell: Cell) -> dict[str, tuple[int, int, int, int, int]]:
    """username → (active records, teams, contracts, check-ups, overdue plans)."""
    seen = {}
    with grpc.insecure_channel(f"127.0.0.1:{cell.port}") as channel:
        api = archives_service_pb2_grpc.ArchivesServiceStub(channel)
        for username in ("xz-doctor-1", "xz-doctor-2", "xz-doctor-3"):
            md, tenant = _doctor(channel, username)
            records = api.ListHealthRecords(
                apb.ListHealthRecordsRequest(parent=tenant), metadata=md, timeout=TIMEOUT
            ).records
            assert {r.state for r in records} == {rec.RECORD_STATE_ACTIVE}
            teams = api.ListCareTeams(apb.ListCareTeamsRequest(parent=tenant), metadata=md).teams
            contracts = sum(
                len(
                    api.ListContracts(
                        apb.ListContractsRequest(parent=r.name), metadata=md
                    ).contracts
                )
                for r in records
            )
            check_ups = sum(
                len(api.ListCheckUps(apb.ListCheckUpsRequest(parent=r.name), metadata=md).check_ups)
                for r in records
            )
            overdue = api.ListOverdueFollowUpPlans(
                apb.ListOverdueFollowUpPlansRequest(parent=tenant), metadata=md
            ).plans
            seen[username] = (len(records), len(teams), contracts, check_ups, len(overdue))
    return seen


def test_demo_doctors_find_records_teams_contracts_and_one_overdue_plan(
    tmp_path: Path, database_url: str, archives_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, RHIP_ARCHIVES_DATABASE_URL=archives_url)
    cell, seeded = _serve_and_seed(settings)
    try:
        assert seeded == ArchivesDemo(institutions=3, records=9, overdue_plans=1)
        seen = _what_the_doctors_see(cell)
        # The community health centre, the township hospital and the village clinic.
        assert seen == {
            "xz-doctor-1": (3, 1, 1, 1, 1),
            "xz-doctor-2": (3, 1, 1, 1, 0),
            "xz-doctor-3": (3, 1, 1, 1, 0),
        }
    finally:
        cell.stop(0)
    # A restart seeds again and adds nothing.
    cell, again = _serve_and_seed(settings)
    try:
        assert again == seeded
        assert _what_the_doctors_see(cell) == seen
    finally:
        cell.stop(0)


def test_the_fictional_id_numbers_are_valid_match_the_person_and_differ_by_slot() -> None:
    for person in RESIDENTS:
        numbers = {fictional_id_number("320311", person, slot) for slot in range(10)}
        assert len(numbers) == 10  # one seed's people (slots) never share a number
        for number in numbers:
            assert ID_SHAPED.fullmatch(number) and number[:6] == "320311"
            document = parse_document(DocumentType.RESIDENT_ID_CARD, number, today=date.today())
            assert (document.sex, document.birth_date) == (person.sex, person.birth_date)
