// Clinic: find a resident by ID number (exact lookup), by name (search), or by the QR code of
// an e-health card (a scanner types the payload into the field); register a new one; open
// their health record at this institution.
import { useState } from "preact/hooks";
import { ApiError, get, newRequestId, post } from "../api.js";
import { t } from "../i18n.js";
import { RegionLabel } from "../labels.jsx";
import { ErrorBox, Field, Notice, Table, formData } from "../ui.jsx";

const MODES = ["byId", "byName", "byCard"];

async function find(mode, text) {
  if (mode === "byId") {
    try {
      return [await post("/identity/v1/residents:lookup", { document: { type: "DOCUMENT_TYPE_RESIDENT_ID_CARD", number: text } })];
    } catch (error) {
      // An unknown number is an answer ("no such resident"), not a failure.
      if (error instanceof ApiError && error.status === 404) return [];
      throw error;
    }
  }
  if (mode === "byName") {
    const reply = await post("/identity/v1/residents:search", { displayName: text, pageSize: 20 });
    return (reply.matches || []).map((m) => m.resident);
  }
  const verified = await post("/identity/v1/healthCardQrCodes:verify", { payload: text });
  if (verified.outcome !== "QR_VERIFY_OUTCOME_VALID") {
    // The platform answered, and the code is not good (expired, revoked, forged…): shown like
    // any refusal, with the outcome as its reason.
    const info = { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: verified.outcome };
    throw new ApiError(400, { error: { message: verified.outcome, status: "FAILED_PRECONDITION", details: [info] } });
  }
  return [await get(`/identity/v1/${verified.resident}`)];
}

function Register({ onDone }) {
  const [error, setError] = useState(null);
  async function submit(event) {
    event.preventDefault();
    const data = formData(event.target);
    setError(null);
    try {
      const reply = await post("/identity/v1/residents", {
        resident: { displayName: data.displayName, sex: data.sex, birthDate: data.birthDate, regionCode: data.regionCode, phone: data.phone || undefined },
        document: { type: "DOCUMENT_TYPE_RESIDENT_ID_CARD", number: data.idNumber },
        requestId: newRequestId(),
      });
      onDone(reply.resident);
    } catch (failed) {
      setError(failed);
    }
  }
  return (
    <form class="card" onSubmit={submit} data-test="register-form">
      <h3>{t("res.register")}</h3>
      <div class="grid">
        <Field label={t("res.name")}>
          <input name="displayName" required data-test="reg-name" />
        </Field>
        <Field label={t("res.sex")}>
          <select name="sex" data-test="reg-sex">
            <option value="SEX_MALE">{t("SEX_MALE")}</option>
            <option value="SEX_FEMALE">{t("SEX_FEMALE")}</option>
          </select>
        </Field>
        <Field label={t("res.birthDate")}>
          <input name="birthDate" type="date" required data-test="reg-birth" />
        </Field>
        <Field label={t("res.idNumber")}>
          <input name="idNumber" required data-test="reg-id" />
        </Field>
        <Field label={t("res.regionCode")}>
          <input name="regionCode" required pattern="[0-9]{6,12}" data-test="reg-region" />
        </Field>
        <Field label={t("res.phone")}>
          <input name="phone" type="tel" />
        </Field>
      </div>
      <ErrorBox error={error} />
      <button type="submit" data-test="reg-save">
        {t("save")}
      </button>
    </form>
  );
}

export function Residents() {
  const [mode, setMode] = useState("byId");
  const [found, setFound] = useState(null);
  const [error, setError] = useState(null);
  const [registering, setRegistering] = useState(false);
  const [notice, setNotice] = useState("");
  async function submit(event) {
    event.preventDefault();
    const text = formData(event.target).query.trim();
    setError(null);
    setNotice("");
    try {
      setFound(await find(mode, text));
    } catch (failed) {
      setFound(null);
      setError(failed);
    }
  }
  return (
    <section>
      <h2>{t("res.find")}</h2>
      <form class="card inline" onSubmit={submit} data-test="find-form">
        <select value={mode} onChange={(e) => setMode(e.target.value)} data-test="find-mode">
          {MODES.map((m) => (
            <option value={m}>{t(`res.${m}`)}</option>
          ))}
        </select>
        <input name="query" required autofocus data-test="find-query" />
        <button type="submit" data-test="find-submit">
          {t("search")}
        </button>
        <button type="button" class="secondary" data-test="register-open" onClick={() => setRegistering(!registering)}>
          {t("res.register")}
        </button>
      </form>
      <Notice text={notice} />
      {registering && (
        <Register
          onDone={(resident) => {
            setRegistering(false);
            setNotice(`${t("res.registered")}: ${resident.displayName}`);
            setFound([resident]);
          }}
        />
      )}
      <ErrorBox error={error} />
      {found && found.length === 0 && <p data-test="not-found">{t("res.notFound")}</p>}
      {found && found.length > 0 && (
        <Table
          test="residents"
          rows={found}
          columns={[
            [t("res.name"), (r) => r.displayName],
            [t("res.sex"), (r) => t(r.sex)],
            [t("res.birthDate"), (r) => r.birthDate],
            [t("res.idNumber"), (r) => (r.documents || [])[0]?.number || ""],
            [t("tenant.region"), (r) => <RegionLabel code={r.regionCode} />],
            ["", (r) => t(r.state)],
            [
              "",
              (r) => (
                <a href={`#/record/resident/${r.residentId}`} data-test="open-record">
                  {t("res.open")}
                </a>
              ),
            ],
          ]}
        />
      )}
    </section>
  );
}
