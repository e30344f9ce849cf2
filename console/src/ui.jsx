// Small shared pieces: the error box (google.rpc.Status made readable), a labelled field and
// a table.
import { ApiError } from "./api.js";
import { has, t } from "./i18n.js";

// The server's message is English; the reason code selects a phrase in the reader's language
// when we have one, and the server's own words are always shown next to it.
export function ErrorBox({ error }) {
  if (!error) return null;
  if (!(error instanceof ApiError)) {
    return (
      <div class="error" role="alert" data-test="error">
        <strong>{t("err.network")}</strong>
        <div>{String(error.message || error)}</div>
      </div>
    );
  }
  const phrase = has(`reason.${error.reason}`) ? t(`reason.${error.reason}`) : null;
  return (
    <div class="error" role="alert" data-test="error" data-reason={error.reason}>
      <strong>{phrase || t("err.title")}</strong>
      <div class="server-message">{error.message}</div>
      <div class="reason">
        {t("err.reason")}: <code>{error.reason}</code>
      </div>
      {error.violations.length > 0 && (
        <div>
          {t("err.fields")}:
          <ul>
            {error.violations.map((v) => (
              <li data-test="violation">
                {has(`field.${v.field}`) && <b>{t(`field.${v.field}`)} </b>}
                <code>{v.field}</code>: {v.description}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

export function Field({ label, children }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

export function Notice({ text }) {
  return text ? (
    <div class="notice" role="status" data-test="notice">
      {text}
    </div>
  ) : null;
}

export function Loading() {
  return <div class="loading">{t("loading")}</div>;
}

// columns: [[header, row => cell]]; rowClass: row => class name.
export function Table({ columns, rows, rowClass, test }) {
  if (!rows || rows.length === 0) return <p class="muted">{t("none")}</p>;
  return (
    <table data-test={test}>
      <thead>
        <tr>
          {columns.map(([header]) => (
            <th>{header}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr class={rowClass ? rowClass(row) : ""}>
            {columns.map(([, cell]) => (
              <td>{cell(row)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}
