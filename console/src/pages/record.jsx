// Clinic: a resident's health record at this institution, its follow-ups, and recording a new
// follow-up; the platform classifies the visit and sets the next due date, shown at once.
import { useState } from "preact/hooks";
import { get, post } from "../api.js";
import { chinaDay } from "../days.js";
import { useLoad } from "../hooks.js";
import { t } from "../i18n.js";
import { TenantLabel } from "../labels.jsx";
import { ErrorBox, Field, Loading, Table, formData } from "../ui.jsx";


async function loadRecord(args) {
  let record;
  if (args[0] === "resident") {
    const reply = await get("/archives/v1/healthRecords", { resident: `residents/${args[1]}` });
    record = (reply.records || []).find((r) => r.state === "RECORD_STATE_ACTIVE") || (reply.records || [])[0];
    if (!record) return { resident: await get(`/identity/v1/residents/${args[1]}`), record: null, followUps: [] };
  } else {
    record = await get(`/archives/v1/healthRecords/${args[0]}`);
  }
  const [resident, followUps] = await Promise.all([get(`/identity/v1/${record.resident}`), get(`/archives/v1/${record.name}/followUps`)]);
  return { resident, record, followUps: followUps.followUps || [] };
}

function FollowUpForm({ record, onSaved }) {
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  async function submit(event) {
    event.preventDefault();
    const d = formData(event.target);
    setError(null);
    const number = (v) => (v === "" ? undefined : Number(v));
    try {
      const reply = await post(`/archives/v1/${record.name}/followUps`, {
        program: d.program,
        visitDate: d.visitDate,
        bloodPressure: d.systolic ? { systolic: number(d.systolic), diastolic: number(d.diastolic) } : undefined,
        fastingGlucoseMmol: number(d.glucose),
        heartRate: number(d.heartRate),
      });
      setSaved(reply);
      onSaved();
    } catch (failed) {
      setError(failed);
    }
  }
  return (
    <form class="card" onSubmit={submit} data-test="follow-up-form">
      <h3>{t("fu.record")}</h3>
      <div class="grid">
        <Field label={t("fu.program")}>
          <select name="program" data-test="fu-program">
            <option value="PROGRAM_HYPERTENSION">{t("PROGRAM_HYPERTENSION")}</option>
            <option value="PROGRAM_TYPE2_DIABETES">{t("PROGRAM_TYPE2_DIABETES")}</option>
          </select>
        </Field>
        <Field label={t("fu.visitDate")}>
          <input name="visitDate" type="date" defaultValue={chinaDay()} required data-test="fu-date" />
        </Field>
        <Field label={t("fu.systolic")}>
          <input name="systolic" type="number" min="40" max="300" data-test="fu-systolic" />
        </Field>
        <Field label={t("fu.diastolic")}>
          <input name="diastolic" type="number" min="20" max="200" data-test="fu-diastolic" />
        </Field>
        <Field label={t("fu.glucose")}>
          <input name="glucose" type="number" step="0.1" min="0" data-test="fu-glucose" />
        </Field>
        <Field label={t("fu.heartRate")}>
          <input name="heartRate" type="number" min="20" max="250" data-test="fu-heart" />
        </Field>
      </div>
      <ErrorBox error={error} />
      <button type="submit" data-test="fu-save">
        {t("save")}
      </button>
      {saved && (
        <div class="result" data-test="fu-result" data-classification={saved.classification} data-next-due={saved.nextDueDate}>
          <strong>{t("fu.saved")}</strong> · {t("fu.classification")}: <b>{t(saved.classification)}</b> · {t("fu.nextDue")}: <b>{saved.nextDueDate}</b>
        </div>
      )}
    </form>
  );
}

export function Record({ args }) {
  const [data, error, loading, reload] = useLoad(() => loadRecord(args), [args.join("/")]);
  if (loading && !data) return <Loading />;
  if (error) return <ErrorBox error={error} />;
  const { resident, record, followUps } = data;
  return (
    <section>
      <h2 data-test="record-title">
        {t("rec.title")} · {resident.displayName}
      </h2>
      <div class="card facts">
        <span>
          {t("res.sex")}: {t(resident.sex)}
        </span>
        <span>
          {t("res.birthDate")}: {resident.birthDate}
        </span>
        {record && (
          <>
            <span>
              {t("rec.number")}: {record.recordNumber}
            </span>
            <span>
              {t("rec.state")}: {t(record.state)}
            </span>
            <span>
              {t("overdue.institution")}: <TenantLabel name={record.managingTenant} />
            </span>
          </>
        )}
      </div>
      {!record && <p data-test="no-record">{t("rec.none")}</p>}
      {record && (
        <>
          <FollowUpForm record={record} onSaved={reload} />
          <h3>{t("fu.title")}</h3>
          <Table
            test="follow-ups"
            rows={[...followUps].reverse()}
            columns={[
              [t("fu.visitDate"), (f) => f.visitDate],
              [t("fu.program"), (f) => t(f.program)],
              ["BP", (f) => (f.bloodPressure ? `${f.bloodPressure.systolic}/${f.bloodPressure.diastolic}` : "")],
              [t("fu.glucose"), (f) => f.fastingGlucoseMmol ?? ""],
              [t("fu.classification"), (f) => t(f.classification)],
              [t("fu.nextDue"), (f) => f.nextDueDate],
            ]}
          />
        </>
      )}
    </section>
  );
}
