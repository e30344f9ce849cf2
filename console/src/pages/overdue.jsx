// Overdue follow-ups: the practitioner's own institution, or for a regional administrator every
// grassroots institution of the subtree (one call per institution: the API lists per tenant).
import { get } from "../api.js";
import { useLoad } from "../hooks.js";
import { t } from "../i18n.js";
import { RecordLabel, TenantLabel } from "../labels.jsx";
import { ErrorBox, Loading, Table } from "../ui.jsx";
import { listAll } from "./institutions.jsx";

async function overdueOf(tenants) {
  const answers = await Promise.all(tenants.map((name) => listAll(`/archives/v1/${name}/overdueFollowUpPlans`, "plans")));
  return answers.flat().sort((a, b) => (b.daysOverdue || 0) - (a.daysOverdue || 0));
}

export function Overdue({ principal }) {
  const clinic = principal.kind === "PRINCIPAL_KIND_PRACTITIONER";
  const [plans, error, loading] = useLoad(async () => {
    if (clinic) return overdueOf([`tenants/${principal.tenantId}`]);
    const tenants = await listAll(`/identity/v1/regions/${principal.regionCode}/tenants`, "tenants");
    return overdueOf(tenants.filter((x) => !["TENANT_TYPE_COUNTY_HOSPITAL", "TENANT_TYPE_MCH_HOSPITAL", "TENANT_TYPE_PUBLIC_SECURITY"].includes(x.type)).map((x) => x.name));
  }, [principal.subject]);
  return (
    <section>
      <h2>{t("overdue.title")}</h2>
      <ErrorBox error={error} />
      {loading ? (
        <Loading />
      ) : (
        <Table
          test="overdue"
          rows={plans}
          rowClass={(p) => (p.daysOverdue > 7 ? "late" : "")}
          columns={[
            [t("overdue.institution"), (p) => <TenantLabel name={p.managingTenant} />],
            [t("overdue.program"), (p) => t(p.program)],
            [t("overdue.due"), (p) => p.nextDueDate],
            [t("overdue.days"), (p) => p.daysOverdue],
            [
              t("overdue.record"),
              (p) =>
                clinic ? (
                  <a href={`#/record/${p.record.split("/")[1]}`} data-test="overdue-open">
                    <RecordLabel name={p.record} />
                  </a>
                ) : (
                  <RecordLabel name={p.record} />
                ),
            ],
          ]}
        />
      )}
    </section>
  );
}
