// Regional administrator: the users and the role grants of the administrator's subtree;
// create a user (a practitioner of an institution, or a regional account), grant and revoke
// roles.
import { useState } from "preact/hooks";
import { newRequestId, post } from "../api.js";
import { useLoad } from "../hooks.js";
import { t } from "../i18n.js";
import { RegionLabel, TenantLabel } from "../labels.jsx";
import { ErrorBox, Field, Loading, Notice, Table, formData } from "../ui.jsx";
import { listAll } from "./institutions.jsx";

const KINDS = ["PRINCIPAL_KIND_PRACTITIONER", "PRINCIPAL_KIND_REGIONAL_ADMIN", "PRINCIPAL_KIND_AUDITOR"];
const ROLES = ["practitioner", "regional_admin", "auditor"];

// Where a user or grant belongs: an institution (by name) or a region code.
function Scope({ tenants, region, tenantFirst }) {
  const [byTenant, setByTenant] = useState(tenantFirst);
  return (
    <>
      <Field label={t("grants.scope")}>
        <select data-test="scope-kind" onChange={(e) => setByTenant(e.target.value === "tenant")}>
          <option value="tenant" selected={tenantFirst}>
            {t("users.tenant")}
          </option>
          <option value="region" selected={!tenantFirst}>
            {t("tenant.region")}
          </option>
        </select>
      </Field>
      {byTenant ? (
        <Field label={t("users.tenant")}>
          <select name="tenantId" data-test="scope-tenant">
            {tenants.map((x) => (
              <option value={x.tenantId}>{x.displayName}</option>
            ))}
          </select>
        </Field>
      ) : (
        <Field label={`${t("tenant.region")} (GB/T 2260)`}>
          <input name="regionCode" required pattern="[0-9]{6,12}" defaultValue={region} data-test="scope-region" />
        </Field>
      )}
    </>
  );
}

function NewUser({ tenants, region, onDone }) {
  const [error, setError] = useState(null);
  const [kind, setKind] = useState(KINDS[0]);
  async function submit(event) {
    event.preventDefault();
    const { password, ...user } = formData(event.target);
    setError(null);
    try {
      onDone(await post("/identity/v1/users", { user, password, requestId: newRequestId() }));
    } catch (failed) {
      setError(failed);
    }
  }
  return (
    <form class="card" onSubmit={submit} data-test="user-form">
      <h3>{t("users.create")}</h3>
      <div class="grid">
        <Field label={t("users.username")}>
          <input name="username" required autocomplete="off" data-test="user-username" />
        </Field>
        <Field label={t("users.displayName")}>
          <input name="displayName" required data-test="user-name" />
        </Field>
        <Field label={t("users.kind")}>
          <select name="kind" data-test="user-kind" onChange={(e) => setKind(e.target.value)}>
            {KINDS.map((k) => (
              <option value={k}>{t(`role.${k}`)}</option>
            ))}
          </select>
        </Field>
        {kind === "PRINCIPAL_KIND_PRACTITIONER" ? (
          <Field label={t("users.tenant")}>
            <select name="tenantId" data-test="user-tenant">
              {/* a public-security organ takes no practitioners (TENANT_NOT_HEALTH_INSTITUTION) */}
              {tenants.filter((x) => x.type !== "TENANT_TYPE_PUBLIC_SECURITY").map((x) => (
                <option value={x.tenantId}>{x.displayName}</option>
              ))}
            </select>
          </Field>
        ) : (
          <Field label={`${t("tenant.region")} (GB/T 2260)`}>
            <input name="regionCode" required pattern="[0-9]{6,12}" defaultValue={region} data-test="user-region" />
          </Field>
        )}
        <Field label={t("users.password")}>
          <input name="password" type="password" required autocomplete="new-password" data-test="user-password" />
        </Field>
      </div>
      <ErrorBox error={error} />
      <div class="buttons">
        <button type="submit" data-test="user-save">
          {t("save")}
        </button>
        <button type="button" class="secondary" onClick={() => onDone(null)}>
          {t("cancel")}
        </button>
      </div>
    </form>
  );
}

function NewGrant({ users, tenants, region, onDone }) {
  const [error, setError] = useState(null);
  async function submit(event) {
    event.preventDefault();
    setError(null);
    try {
      onDone(await post(`/identity/v1/roleGrants?requestId=${newRequestId()}`, formData(event.target)));
    } catch (failed) {
      setError(failed);
    }
  }
  return (
    <form class="card" onSubmit={submit} data-test="grant-form">
      <h3>{t("grants.create")}</h3>
      <div class="grid">
        <Field label={t("grants.subject")}>
          <select name="subject" data-test="grant-subject">
            {users.map((u) => (
              <option value={`user:${u.userId}`}>{`${u.username} · ${u.displayName}`}</option>
            ))}
          </select>
        </Field>
        <Field label={t("grants.role")}>
          <select name="role" data-test="grant-role">
            {ROLES.map((role) => (
              <option value={role}>{t(`roleName.${role}`)}</option>
            ))}
          </select>
        </Field>
        <Scope tenants={tenants} region={region} tenantFirst />
      </div>
      <ErrorBox error={error} />
      <div class="buttons">
        <button type="submit" data-test="grant-save">
          {t("save")}
        </button>
        <button type="button" class="secondary" onClick={() => onDone(null)}>
          {t("cancel")}
        </button>
      </div>
    </form>
  );
}

export function Users({ principal }) {
  const region = principal.regionCode;
  const [form, setForm] = useState(null); // "user", "grant" or null
  const [notice, setNotice] = useState("");
  const [failure, setFailure] = useState(null);
  const [data, error, loading, reload] = useLoad(async () => {
    const [users, grants, tenants] = await Promise.all([
      listAll(`/identity/v1/regions/${region}/users`, "users"),
      listAll(`/identity/v1/regions/${region}/roleGrants`, "grants"),
      listAll(`/identity/v1/regions/${region}/tenants`, "tenants"),
    ]);
    return { users, grants, tenants };
  }, [region]);
  const byId = new Map((data?.users || []).map((u) => [`user:${u.userId}`, u.username]));
  const done = (label) => (saved) => {
    setForm(null);
    if (saved) {
      setNotice(`${t(label)}: ${saved.username || byId.get(saved.subject) || ""}`);
      reload();
    }
  };
  async function revoke(grant) {
    setFailure(null);
    try {
      await post(`/identity/v1/${grant.name}:revoke`, {});
      reload();
    } catch (failed) {
      setFailure(failed);
    }
  }
  if (loading && !data) return <Loading />;
  return (
    <section>
      <div class="toolbar">
        <h2>
          {t("users.list")} · <RegionLabel code={region} />
        </h2>
        <span class="buttons">
          <button data-test="user-new" onClick={() => (setForm("user"), setNotice(""))}>
            {t("users.create")}
          </button>
          <button data-test="grant-new" onClick={() => (setForm("grant"), setNotice(""))}>
            {t("grants.create")}
          </button>
        </span>
      </div>
      <Notice text={notice} />
      {form === "user" && <NewUser tenants={data.tenants} region={region} onDone={done("users.created")} />}
      {form === "grant" && <NewGrant users={data.users} tenants={data.tenants} region={region} onDone={done("grants.created")} />}
      <ErrorBox error={error || failure} />
      {data && (
        <>
          <Table
            test="users"
            rows={data.users}
            columns={[
              [t("users.username"), (u) => u.username],
              [t("users.displayName"), (u) => u.displayName],
              [t("users.kind"), (u) => t(`role.${u.kind}`)],
              [t("users.tenant"), (u) => (u.tenantId ? <TenantLabel name={`tenants/${u.tenantId}`} /> : <RegionLabel code={u.regionCode} />)],
              [t("users.state"), (u) => t(u.state)],
            ]}
          />
          <h2>{t("grants.list")}</h2>
          <Table
            test="grants"
            rows={data.grants}
            columns={[
              [t("grants.subject"), (g) => byId.get(g.subject) || g.subject],
              [t("grants.role"), (g) => t(`roleName.${g.role}`)],
              [t("grants.scope"), (g) => (g.tenantId ? <TenantLabel name={`tenants/${g.tenantId}`} /> : <RegionLabel code={g.regionCode} />)],
              [
                "",
                (g) => (
                  <button class="link" onClick={() => revoke(g)}>
                    {t("grants.revoke")}
                  </button>
                ),
              ],
            ]}
          />
        </>
      )}
    </section>
  );
}
