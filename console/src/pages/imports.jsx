// Regional administrator: bulk onboarding of institutions and users from CSV or Excel files.
// The gateway runs the same code as `rhip admin import` (dry run first, then the import; a
// re-run changes nothing); this page uploads the files, follows the run's progress and shows
// the report per row: sheet, row, column and what is wrong, as the platform said it.
import { useEffect, useState } from "preact/hooks";
import { ApiError, get, post } from "../api.js";
import { t } from "../i18n.js";
import { ErrorBox, Table } from "../ui.jsx";

const PATH = "/onboarding/v1/imports";
const POLL_MS = 400;
const BAD = new Set(["invalid", "refused"]);

async function asBase64(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function Progress({ job }) {
  const p = job.progress;
  if (!p) return <p class="muted" data-test="import-progress">{t("imports.checking")}</p>;
  const share = Math.floor((100 * p.done) / Math.max(p.total, 1));
  return (
    <div data-test="import-progress">
      <progress value={p.done} max={Math.max(p.total, 1)} />{" "}
      {t(`imports.kind.${p.kind}`)} {p.done}/{p.total} ({share}%)
    </div>
  );
}

function Summary({ job }) {
  const counts = Object.entries(job.counts || {}).sort();
  const nothing = !job.dryRun && !(job.counts || {}).created;
  return (
    <p data-test="import-summary" class={job.ok ? "" : "warn"}>
      <b>{job.dryRun ? t("imports.dryRunDone") : nothing ? t("imports.nothingChanged") : t("imports.done")}</b>
      {" · "}
      {counts.length ? counts.map(([status, n]) => `${t(`imports.status.${status}`)} ${n}`).join("，") : t("none")}
    </p>
  );
}

function Passwords({ credentials }) {
  if (!credentials || !credentials.length) return null;
  return (
    <div class="card" data-test="import-passwords">
      <h3>{t("imports.passwords")}</h3>
      <p class="warn">{t("imports.passwordsOnce")}</p>
      <Table
        columns={[
          [t("users.username"), (c) => c.username],
          [t("login.password"), (c) => <code>{c.password}</code>],
        ]}
        rows={credentials}
      />
    </div>
  );
}

export function Imports() {
  const [files, setFiles] = useState([]);
  const [job, setJob] = useState(null);
  const [credentials, setCredentials] = useState(null);
  const [error, setError] = useState(null);
  const running = job && job.state === "RUNNING";

  // Follow a running job until it finishes.
  useEffect(() => {
    if (!running) return undefined;
    const timer = setTimeout(async () => {
      try {
        const now = await get(`${PATH}/${job.id}`);
        if (now.credentials) setCredentials(now.credentials);
        setJob(now);
      } catch (failed) {
        // The gateway replica running it is busy or not listed yet: it still runs, ask again.
        if (failed instanceof ApiError && failed.reason === "IMPORT_RUNNER_UNAVAILABLE") {
          setJob({ ...job });
          return;
        }
        setError(failed);
        setJob({ ...job, state: "FAILED" });
      }
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [job]);

  async function start(dryRun) {
    setError(null);
    setCredentials(null);
    // The previous run's report goes at once: until the new run answers, none is shown (a
    // finished one left in place read as the new run's result).
    setJob(null);
    try {
      const uploads = await Promise.all(files.map(async (f) => ({ fileName: f.name, content: await asBase64(f) })));
      setJob(await post(PATH, { files: uploads, dryRun }));
    } catch (failed) {
      setError(failed);
    }
  }

  const columns = [
    [t("imports.sheet"), (r) => r.sheet],
    [t("imports.row"), (r) => r.row],
    [t("imports.what"), (r) => r.what],
    [t("imports.status"), (r) => <span data-status={r.status}>{t(`imports.status.${r.status}`)}</span>],
    [t("imports.column"), (r) => r.column],
    [t("imports.reason"), (r) => r.reason],
  ];
  return (
    <section>
      <h2>{t("nav.imports")}</h2>
      <div class="card">
        <p class="muted">{t("imports.help")}</p>
        <p class="muted">
          <code>机构名称, 机构类型, 等级, 区划代码, 统一社会信用代码</code>
          <br />
          <code>用户名, 姓名, 角色, 所属机构, 区划代码, 初始密码</code>
        </p>
        <input
          type="file"
          multiple
          accept=".csv,.xlsx"
          data-test="import-files"
          onChange={(e) => setFiles([...e.target.files])}
        />
        <div class="actions">
          <button data-test="import-dry-run" disabled={!files.length || running} onClick={() => start(true)}>
            {t("imports.dryRun")}
          </button>
          <button data-test="import-run" disabled={!files.length || running} onClick={() => start(false)}>
            {t("imports.run")}
          </button>
        </div>
      </div>
      <ErrorBox error={error} />
      {job && (
        <div class="card" data-test="import-job" data-state={job.state} data-dry-run={String(job.dryRun)}>
          <h3>
            {job.dryRun ? t("imports.dryRun") : t("imports.run")} · {job.fileNames.join(", ")} · {t("imports.rows")} {job.rows}
          </h3>
          {(running || job.progress) && <Progress job={job} />}
          {job.state === "FAILED" && <p class="warn">{job.error || t("imports.failed")}</p>}
          {job.state === "DONE" && (
            <>
              <Summary job={job} />
              <Table columns={columns} rows={job.results} rowClass={(r) => (BAD.has(r.status) ? "late" : "")} test="import-report" />
            </>
          )}
        </div>
      )}
      <Passwords credentials={credentials} />
    </section>
  );
}
