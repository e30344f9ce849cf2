// Auditor: verify the cell's hash-chained audit log, and "who viewed this resident" (the audit
// events about one resident in the auditor's region, from identity and archives).
import { useState } from "preact/hooks";
import { get, session } from "../api.js";
import { lang, t } from "../i18n.js";
import { SubjectLabel, TenantLabel } from "../labels.jsx";
import { ErrorBox, Field, Table, formData } from "../ui.jsx";

export function Audit({ principal }) {
  const [report, setReport] = useState(null);
  const [events, setEvents] = useState(null);
  const [error, setError] = useState(null);
  async function verify() {
    setError(null);
    try {
      setReport(await get("/identity/v1/auditChain:verify"));
    } catch (failed) {
      setError(failed);
    }
  }
  async function whoViewed(event) {
    event.preventDefault();
    const id = formData(event.target).resident.trim().replace(/^residents\//, "");
    setError(null);
    try {
      const region = principal.regionCode || session.get().region;
      const query = { resident: `residents/${id}`, pageSize: 100 };
      const answers = await Promise.all(["identity", "archives"].map((api) => get(`/${api}/v1/regions/${region}/auditEvents`, query)));
      setEvents(answers.flatMap((a) => a.events || []).sort((a, b) => (a.eventTime < b.eventTime ? 1 : -1)));
    } catch (failed) {
      setError(failed);
    }
  }
  return (
    <section>
      <h2>{t("audit.chain")}</h2>
      <div class="card">
        <button onClick={verify} data-test="verify-chain">
          {t("audit.verify")}
        </button>
        {report && (
          <p class={report.intact ? "good" : "bad"} data-test="chain-report" data-intact={String(!!report.intact)}>
            <strong>{t(report.intact ? "audit.ok" : "audit.broken")}</strong> · {t("audit.rows")}: {report.rowsChecked || 0}
            {!report.intact && ` · ${t("audit.firstBroken")}: ${report.firstBrokenSeq} (${report.problem})`}
          </p>
        )}
      </div>
      <h2>{t("audit.whoViewed")}</h2>
      <form class="card inline" onSubmit={whoViewed}>
        <Field label={t("audit.residentId")}>
          <input name="resident" required data-test="audit-resident" />
        </Field>
        <button type="submit" data-test="audit-search">
          {t("search")}
        </button>
      </form>
      <ErrorBox error={error} />
      {events && (
        <Table
          test="audit-events"
          rows={events}
          columns={[
            [t("audit.time"), (e) => new Date(e.eventTime).toLocaleString(lang.get())],
            [t("audit.actor"), (e) => <SubjectLabel subject={e.actor} />],
            [t("users.tenant"), (e) => (e.actorTenant ? <TenantLabel name={`tenants/${e.actorTenant}`} /> : "")],
            [t("audit.action"), (e) => e.action],
            [t("audit.outcome"), (e) => e.outcome],
            [t("audit.basis"), (e) => e.basis || ""],
          ]}
        />
      )}
    </section>
  );
}
