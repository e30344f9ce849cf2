"""Helpers for archives tests: the Archives handle (world, stub, residents) and form builders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.archives.v1 import health_record_pb2 as rec
from support.cells import RunningCell, World

# More synthetic ID numbers with valid check characters (not real people).
QUANSHAN_WOMAN = "320311195001010028"  # born 1950: aged ≥65
TONGSHAN_MAN = "320312197505050010"


@dataclass
class Archives:
    """The world, the archives stub and the residents, by short name."""

    running: RunningCell
    world: World
    api: archives_service_pb2_grpc.ArchivesServiceStub
    residents: dict[str, str] = field(default_factory=dict)  # short name → residents/{id}

    def md(self, username: str) -> list[tuple[str, str]]:
        return self.running.md(username)

    def tenant(self, short: str) -> str:
        return f"tenants/{self.world.tenants[short]}"

    def create(self, resident: str, who: str = "qs-doctor", **fields) -> rec.HealthRecord:  # type: ignore[no-untyped-def]
        request = apb.CreateHealthRecordRequest(
            resident=self.residents[resident],
            township_code=fields.pop("township_code", "001"),
            village_code=fields.pop("village_code", "101"),
            basic_info=fields.pop("basic_info", complete_form()),
            **fields,
        )
        return self.api.CreateHealthRecord(request, metadata=self.md(who))

    def active(self, resident: str, who: str = "qs-doctor") -> rec.HealthRecord:
        record = self.create(resident, who)
        return self.api.ActivateHealthRecord(
            apb.ActivateHealthRecordRequest(name=record.name), metadata=self.md(who)
        )


def complete_form(**changes) -> rec.BasicInfo:  # type: ignore[no-untyped-def]
    """A personal basic information form with every required item (§2.4)."""
    form = rec.BasicInfo(
        work_unit="徐州矿务集团",
        residence_type=1,
        ethnicity="01",
        blood_type_abo=3,
        blood_type_rh=2,
        education=40,
        occupation=6,
        marital_status=20,
        payment_methods=[1],
        drug_allergies=[1],
        exposures=[1],
        diseases=[rec.HistoryItem(code=2, date="2015-06")],
        family_father=[2, 7],
        family_mother=[1],
        disabilities=[1],
        kitchen_exhaust=2,
        fuel=3,
        drinking_water=1,
        toilet=1,
        livestock_pen=1,
    )
    for key, value in changes.items():
        form.ClearField(key)
        if isinstance(value, list):
            getattr(form, key).extend(value)
        elif value is not None:
            setattr(form, key, value)
    return form


def days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()
