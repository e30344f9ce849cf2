// Regional administrator: two-way referral indicators of the region and the referrals past
// their deadline.
import { useLoad } from "../hooks.js";
import { lang, t } from "../i18n.js";
import { TenantLabel } from "../labels.jsx";
import { ErrorBox, Loading, Table } from "../ui.jsx";
import { listAll } from "./institutions.jsx";
import { IndicatorPanel } from "./panel.jsx";

export function Referrals({ principal }) {
  const region = principal.regionCode;
  const [overdue, error, loading] = useLoad(() => listAll(`/referral/v1/regions/${region}/overdueReferrals`, "referrals"), [region]);
  return (
    <section>
      <h2>{t("nav.referrals")}</h2>
      <IndicatorPanel title={t("ref.indicators")} path={`/referral/v1/regions/${region}/referralIndicators`} region={region} test="referral-indicators" />
      <h3>{t("ref.overdue")}</h3>
      <ErrorBox error={error} />
      {loading ? (
        <Loading />
      ) : (
        <Table
          test="overdue-referrals"
          rows={overdue}
          columns={[
            [t("ref.direction"), (r) => t(r.direction)],
            [t("ref.from"), (r) => <TenantLabel name={r.sendingTenant} />],
            [t("ref.to"), (r) => <TenantLabel name={r.receivingTenant} />],
            [t("ref.state"), (r) => t(r.state)],
            [t("ref.deadline"), (r) => (r.deadline ? new Date(r.deadline).toLocaleString(lang.get()) : "")],
          ]}
        />
      )}
    </section>
  );
}
