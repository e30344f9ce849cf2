// Regional administrator: the users and the role grants of the administrator's subtree.
import { useLoad } from "../hooks.js";
import { t } from "../i18n.js";
import { RegionLabel, TenantLabel } from "../labels.jsx";
import { ErrorBox, Loading, Table } from "../ui.jsx";
import { listAll } from "./institutions.jsx";

export function Users({ principal }) {
  const region = principal.regionCode;
  const [users, error, loading] = useLoad(() => listAll(`/identity/v1/regions/${region}/users`, "users"), [region]);
  const [grants, grantError] = useLoad(() => listAll(`/identity/v1/regions/${region}/roleGrants`, "grants"), [region]);
  const byId = new Map((users || []).map((u) => [`user:${u.userId}`, u.username]));
  return (
    <section>
      <h2>
        {t("users.list")} · <RegionLabel code={region} />
      </h2>
      <ErrorBox error={error} />
      {loading ? (
        <Loading />
      ) : (
        <Table
          test="users"
          rows={users}
          columns={[
            [t("users.username"), (u) => u.username],
            [t("users.displayName"), (u) => u.displayName],
            [t("users.kind"), (u) => t(`role.${u.kind}`)],
            [t("users.tenant"), (u) => (u.tenantId ? <TenantLabel name={`tenants/${u.tenantId}`} /> : <RegionLabel code={u.regionCode} />)],
            [t("users.state"), (u) => t(u.state)],
          ]}
        />
      )}
      <h2>{t("grants.list")}</h2>
      <ErrorBox error={grantError} />
      <Table
        test="grants"
        rows={grants}
        columns={[
          [t("grants.subject"), (g) => byId.get(g.subject) || g.subject],
          [t("grants.role"), (g) => g.role],
          [t("grants.scope"), (g) => (g.tenantId ? <TenantLabel name={`tenants/${g.tenantId}`} /> : <RegionLabel code={g.regionCode} />)],
        ]}
      />
    </section>
  );
}
