// Regional administrator: the region tree (from the administrator's own region down) and the
// institutions of the selected region's subtree: create, edit, suspend or reactivate, and
// their qualifications.
import { useState } from "preact/hooks";
import { get, newRequestId, patch, post } from "../api.js";
import { useLoad } from "../hooks.js";
import { t } from "../i18n.js";
import { RegionLabel } from "../labels.jsx";
import { rememberTenant } from "../names.js";
import { ErrorBox, Field, Loading, Notice, Table, formData } from "../ui.jsx";

const TYPES = [
  "TENANT_TYPE_COMMUNITY_HEALTH_CENTER",
  "TENANT_TYPE_COMMUNITY_HEALTH_STATION",
  "TENANT_TYPE_TOWNSHIP_HOSPITAL",
  "TENANT_TYPE_VILLAGE_CLINIC",
  "TENANT_TYPE_COUNTY_HOSPITAL",
  "TENANT_TYPE_MCH_HOSPITAL",
  // Not a health institution: a police system's tenant, whose service accounts only verify
  // birth certificates.
  "TENANT_TYPE_PUBLIC_SECURITY",
];
const LEVELS = ["TENANT_LEVEL_UNSPECIFIED", "TENANT_LEVEL_PRIMARY", "TENANT_LEVEL_SECONDARY", "TENANT_LEVEL_TERTIARY"];
const QUALIFICATIONS = [
  "QUALIFICATION_KIND_MIDWIFERY",
  "QUALIFICATION_KIND_BIRTH_CERTIFICATE",
  "QUALIFICATION_KIND_RISK_GRADING",
  "QUALIFICATION_KIND_CHILD_EYE_CARE",
  "QUALIFICATION_KIND_SCHOOL_HEALTH",
];

async function listAll(path, key, query = {}) {
  const found = [];
  let pageToken = "";
  do {
    const page = await get(path, { ...query, pageSize: 200, pageToken });
    found.push(...(page[key] || []));
    pageToken = page.nextPageToken || "";
  } while (pageToken);
  return found;
}

function RegionTree({ home, selected, onSelect }) {
  const [children, error] = useLoad(() => listAll(`/identity/v1/regions/${selected}/regions`, "regions"), [selected]);
  const [jump, setJump] = useState("");
  return (
    <aside class="tree" data-test="region-tree">
      <h3>{t("region.tree")}</h3>
      <div class="crumb">
        {selected !== home && (
          <button class="link" data-test="region-home" onClick={() => onSelect(home)}>
            ↑ <RegionLabel code={home} />
          </button>
        )}
        <div class="selected">
          <RegionLabel code={selected} />
        </div>
      </div>
      <ErrorBox error={error} />
      <ul>
        {(children || []).map((r) => (
          <li>
            <button class="link" data-test={`region-${r.code}`} onClick={() => onSelect(r.code)}>
              <RegionLabel code={r.code} />
            </button>
          </li>
        ))}
      </ul>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (/^[0-9]{6}$/.test(jump)) onSelect(jump);
        }}
      >
        <input placeholder="320311" value={jump} onInput={(e) => setJump(e.target.value)} data-test="region-jump" />
        <button data-test="region-go">→</button>
      </form>
    </aside>
  );
}

function TenantForm({ tenant, region, onDone }) {
  const [error, setError] = useState(null);
  async function submit(event) {
    event.preventDefault();
    const data = formData(event.target);
    setError(null);
    try {
      let saved;
      if (tenant) {
        const body = { displayName: data.displayName, level: data.level, creditCode: data.creditCode };
        saved = await patch(`/identity/v1/${tenant.name}?updateMask=displayName,level,creditCode`, body);
      } else {
        const body = { ...data, creditCode: data.creditCode || undefined };
        saved = await post(`/identity/v1/tenants?requestId=${newRequestId()}`, body);
      }
      rememberTenant(saved);
      onDone(saved);
    } catch (failed) {
      setError(failed);
    }
  }
  return (
    <form class="card" onSubmit={submit} data-test="tenant-form">
      <h3>{tenant ? `${t("edit")} · ${tenant.displayName}` : t("tenant.create")}</h3>
      <Field label={t("tenant.name")}>
        <input name="displayName" required defaultValue={tenant?.displayName || ""} data-test="tenant-name" />
      </Field>
      {!tenant && (
        <Field label={t("tenant.type")}>
          <select name="type" data-test="tenant-type">
            {TYPES.map((type) => (
              <option value={type}>{t(type)}</option>
            ))}
          </select>
        </Field>
      )}
      <Field label={t("tenant.level")}>
        <select name="level" data-test="tenant-level">
          {LEVELS.map((level) => (
            <option value={level} selected={level === (tenant?.level || "TENANT_LEVEL_UNSPECIFIED")}>
              {t(level)}
            </option>
          ))}
        </select>
      </Field>
      {!tenant && (
        <Field label={`${t("tenant.region")} (GB/T 2260)`}>
          <input name="regionCode" required pattern="[0-9]{6,12}" defaultValue={region} data-test="tenant-region" />
        </Field>
      )}
      <Field label={t("tenant.creditCode")}>
        <input name="creditCode" defaultValue={tenant?.creditCode || ""} data-test="tenant-credit" />
      </Field>
      <ErrorBox error={error} />
      <div class="buttons">
        <button type="submit" data-test="tenant-save">
          {t("save")}
        </button>
        <button type="button" class="secondary" onClick={() => onDone(null)} data-test="tenant-cancel">
          {t("cancel")}
        </button>
      </div>
    </form>
  );
}

function Qualifications({ tenant }) {
  const [list, error, loading, reload] = useLoad(() => get(`/identity/v1/${tenant.name}/qualifications`), [tenant.name]);
  const [failure, setFailure] = useState(null);
  async function grant(event) {
    event.preventDefault();
    const data = formData(event.target);
    setFailure(null);
    try {
      await post(`/identity/v1/${tenant.name}/qualifications`, { ...data, requestId: newRequestId() });
      event.target.reset();
      reload();
    } catch (failed) {
      setFailure(failed);
    }
  }
  async function revoke(q) {
    setFailure(null);
    try {
      await post(`/identity/v1/${q.name}:revoke`, { reason: "console" });
      reload();
    } catch (failed) {
      setFailure(failed);
    }
  }
  return (
    <div class="card" data-test="qualifications">
      <h3>
        {t("tenant.qualifications")} · {tenant.displayName}
      </h3>
      <ErrorBox error={error || failure} />
      {loading ? (
        <Loading />
      ) : (
        <Table
          test="qualification-list"
          rows={list?.qualifications}
          columns={[
            [t("qual.kind"), (q) => t(q.kind)],
            [t("qual.number"), (q) => q.licenceNumber],
            ["", (q) => <button class="link" onClick={() => revoke(q)}>{t("qual.revoke")}</button>],
          ]}
        />
      )}
      <form class="inline" onSubmit={grant} data-test="qualification-form">
        <select name="kind" data-test="qualification-kind">
          {QUALIFICATIONS.map((kind) => (
            <option value={kind}>{t(kind)}</option>
          ))}
        </select>
        <input name="licenceNumber" placeholder={t("qual.number")} required data-test="qualification-number" />
        <button type="submit" data-test="qualification-grant">
          {t("qual.grant")}
        </button>
      </form>
    </div>
  );
}

export function Institutions({ principal }) {
  const home = principal.regionCode;
  const [region, setRegion] = useState(home);
  const [editing, setEditing] = useState(null); // null, "new" or a tenant
  const [showing, setShowing] = useState(null); // the tenant whose qualifications show
  const [notice, setNotice] = useState("");
  const [failure, setFailure] = useState(null);
  const [suspending, setSuspending] = useState(null); // the tenant whose suspension is asked
  const [tenants, error, loading, reload] = useLoad(() => listAll(`/identity/v1/regions/${region}/tenants`, "tenants"), [region]);
  (tenants || []).forEach(rememberTenant);
  async function act(change) {
    setFailure(null);
    try {
      await change();
      setSuspending(null);
      reload();
    } catch (failed) {
      setFailure(failed);
    }
  }
  const reactivate = (tenant) => act(() => post(`/identity/v1/${tenant.name}:reactivate`, {}));
  const suspend = (event) => {
    event.preventDefault();
    const { reason } = formData(event.target);
    act(() => post(`/identity/v1/${suspending.name}:suspend`, { reason }));
  };
  return (
    <div class="split">
      <RegionTree home={home} selected={region} onSelect={(code) => (setRegion(code), setShowing(null))} />
      <section>
        <div class="toolbar">
          <h2>
            {t("tenant.list")} · <RegionLabel code={region} />
          </h2>
          <button data-test="tenant-new" onClick={() => (setEditing("new"), setNotice(""))}>
            {t("tenant.create")}
          </button>
        </div>
        <Notice text={notice} />
        {editing && (
          <TenantForm
            key={editing === "new" ? "new" : editing.name}
            tenant={editing === "new" ? null : editing}
            region={region}
            onDone={(saved) => {
              setEditing(null);
              if (saved) {
                setNotice(`${t(editing === "new" ? "tenant.created" : "done")}: ${saved.displayName}`);
                reload();
              }
            }}
          />
        )}
        {suspending && (
          <form class="card inline" onSubmit={suspend} data-test="suspend-form">
            <Field label={`${t("tenant.suspendReason")} · ${suspending.displayName}`}>
              <input name="reason" required data-test="suspend-reason" />
            </Field>
            <button type="submit" data-test="suspend-confirm">
              {t("tenant.suspend")}
            </button>
            <button type="button" class="secondary" onClick={() => setSuspending(null)}>
              {t("cancel")}
            </button>
          </form>
        )}
        <ErrorBox error={error || failure} />
        {loading && !tenants ? (
          <Loading />
        ) : (
          <Table
            test="tenants"
            rows={tenants}
            rowClass={(x) => (x.state === "TENANT_STATE_SUSPENDED" ? "suspended" : "")}
            columns={[
              [t("tenant.name"), (x) => x.displayName],
              [t("tenant.type"), (x) => t(x.type)],
              [t("tenant.level"), (x) => t(x.level || "TENANT_LEVEL_UNSPECIFIED")],
              [t("tenant.region"), (x) => <RegionLabel code={x.regionCode} />],
              [t("tenant.state"), (x) => (x.suspendReason ? `${t(x.state)} · ${x.suspendReason}` : t(x.state))],
              [
                "",
                (x) => (
                  <span class="actions">
                    <button class="link" onClick={() => setEditing(x)} data-test="tenant-edit">
                      {t("edit")}
                    </button>
                    {x.state === "TENANT_STATE_SUSPENDED" ? (
                      <button class="link" onClick={() => reactivate(x)} data-test="tenant-reactivate">
                        {t("tenant.reactivate")}
                      </button>
                    ) : (
                      <button class="link" onClick={() => setSuspending(x)} data-test="tenant-suspend">
                        {t("tenant.suspend")}
                      </button>
                    )}
                    <button class="link" onClick={() => setShowing(x)} data-test="tenant-qualifications">
                      {t("tenant.qualifications")}
                    </button>
                  </span>
                ),
              ],
            ]}
          />
        )}
        {showing && <Qualifications tenant={showing} />}
      </section>
    </div>
  );
}

export { listAll };
