// Regional administrator: health-record spot checks (抽查) of the region. Sample active records
// of the region or of one institution, mark findings on sampled records (the managing
// institution fixes them), and follow each check's qualified rate. Records and institutions by
// name.
import { useState } from "preact/hooks";
import { get, newRequestId, post } from "../api.js";
import { useLoad } from "../hooks.js";
import { percent, t } from "../i18n.js";
import { RecordLabel, RegionLabel, TenantLabel } from "../labels.jsx";
import { ErrorBox, Field, Loading, Notice, Table, formData } from "../ui.jsx";
import { listAll } from "./institutions.jsx";

function Scope({ parent }) {
  const [kind, id] = parent.split("/");
  return kind === "tenants" ? <TenantLabel name={parent} /> : <RegionLabel code={id} />;
}

function when(timestamp) {
  return timestamp ? timestamp.replace("T", " ").slice(0, 16) : "";
}

function NewCheck({ region, tenants, onDone }) {
  const [error, setError] = useState(null);
  async function submit(event) {
    event.preventDefault();
    const { parent, sampleSize } = formData(event.target);
    setError(null);
    try {
      onDone(await post(`/archives/v1/${parent}/spotChecks`, { sampleSize: Number(sampleSize), requestId: newRequestId() }));
    } catch (failed) {
      setError(failed);
    }
  }
  return (
    <form class="card" onSubmit={submit} data-test="spotcheck-form">
      <h3>{t("spot.create")}</h3>
      <div class="grid">
        <Field label={t("spot.scope")}>
          <select name="parent" data-test="spotcheck-parent">
            <option value={`regions/${region}`}>{t("spot.wholeRegion")}</option>
            {tenants.filter((x) => x.type !== "TENANT_TYPE_PUBLIC_SECURITY").map((x) => (
              <option value={x.name}>{x.displayName}</option>
            ))}
          </select>
        </Field>
        <Field label={t("spot.sampleSize")}>
          <input name="sampleSize" type="number" min="1" max="200" defaultValue="5" required data-test="spotcheck-size" />
        </Field>
      </div>
      <ErrorBox error={error} />
      <button data-test="spotcheck-create">{t("spot.sample")}</button>
    </form>
  );
}

function FindingForm({ check, record, onDone }) {
  const [error, setError] = useState(null);
  async function submit(event) {
    event.preventDefault();
    setError(null);
    try {
      await post(`/archives/v1/${check.name}/findings`, { record, ...formData(event.target) });
      event.target.reset();
      onDone();
    } catch (failed) {
      setError(failed);
    }
  }
  return (
    <form class="inline" onSubmit={submit} data-test="finding-form">
      <input name="item" required maxLength="100" placeholder={t("spot.item")} data-test="finding-item" />
      <input name="description" required placeholder={t("spot.description")} data-test="finding-description" />
      <button data-test="finding-save">{t("spot.mark")}</button>
      <ErrorBox error={error} />
    </form>
  );
}

function Detail({ name, onChanged }) {
  const [check, error, loading, reload] = useLoad(() => get(`/archives/v1/${name}`), [name]);
  if (loading && !check) return <Loading />;
  if (error) return <ErrorBox error={error} />;
  const byRecord = (record) => (check.findings || []).filter((f) => f.record === record);
  const changed = () => {
    reload();
    onChanged();
  };
  return (
    <div class="card" data-test="spotcheck-detail">
      <h3>
        <Scope parent={check.parent} /> · {when(check.createTime)}
      </h3>
      <p data-test="spotcheck-qualified">
        {t("spot.qualified")}: {check.qualified || 0} / {(check.records || []).length}
      </p>
      <Table
        test="spotcheck-records"
        rows={check.records || []}
        rowClass={(r) => (byRecord(r).some((f) => f.state === "open") ? "late" : "")}
        columns={[
          [t("spot.record"), (r) => <RecordLabel name={r} />],
          [
            t("spot.findings"),
            (r) => (
              <ul class="plain">
                {byRecord(r).map((f) => (
                  <li data-test="finding">
                    <b>{f.item}</b>: {f.description} · {t(`spot.state.${f.state}`)}
                    {f.resolution && ` · ${f.resolution}`}
                  </li>
                ))}
              </ul>
            ),
          ],
          [t("spot.mark"), (r) => <FindingForm check={check} record={r} onDone={changed} />],
        ]}
      />
    </div>
  );
}

export function SpotChecks({ principal }) {
  const region = principal.regionCode;
  const [notice, setNotice] = useState("");
  const [open, setOpen] = useState(null);
  const [data, error, loading, reload] = useLoad(async () => {
    const [tenants, listed] = await Promise.all([
      listAll(`/identity/v1/regions/${region}/tenants`, "tenants"),
      get(`/archives/v1/regions/${region}/spotChecks`, { pageSize: 100 }),
    ]);
    return { tenants, checks: listed.spotChecks || [] };
  }, [region]);
  return (
    <section>
      <h2>{t("nav.spotchecks")}</h2>
      <ErrorBox error={error} />
      <Notice text={notice} />
      {loading && !data ? (
        <Loading />
      ) : (
        data && (
          <>
            <NewCheck
              region={region}
              tenants={data.tenants}
              onDone={(check) => {
                setNotice(`${t("spot.created")}: ${(check.records || []).length}`);
                setOpen(check.name);
                reload();
              }}
            />
            <Table
              test="spotchecks"
              rows={data.checks}
              columns={[
                [t("spot.time"), (c) => when(c.createTime)],
                [t("spot.scope"), (c) => <Scope parent={c.parent} />],
                [t("spot.sampleSize"), (c) => (c.records || []).length],
                [t("spot.qualified"), (c) => c.qualified || 0],
                [t("spot.rate"), (c) => ((c.records || []).length ? percent((c.qualified || 0) / c.records.length) : "—")],
                [t("spot.open"), (c) => (c.findings || []).filter((f) => f.state === "open").length],
                [
                  "",
                  (c) => (
                    <button class="link" data-test="spotcheck-open" onClick={() => setOpen(c.name)}>
                      {t("spot.view")}
                    </button>
                  ),
                ],
              ]}
            />
            {open && <Detail name={open} onChanged={reload} />}
          </>
        )
      )}
    </section>
  );
}
