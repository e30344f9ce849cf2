import { useState } from "preact/hooks";
import { login } from "../api.js";
import { t } from "../i18n.js";
import { ErrorBox, Field, formData } from "../ui.jsx";

// The region is remembered: staff sign in from the same place every day.
export function Login() {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(event) {
    event.preventDefault();
    const { username, password, region } = formData(event.target);
    localStorage.setItem("rhip.region", region);
    setBusy(true);
    setError(null);
    try {
      await login(username.trim(), password, region.trim());
      location.hash = "";
    } catch (failed) {
      setError(failed);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="card login" onSubmit={submit} data-test="login-form">
      <h1>{t("title")}</h1>
      <h2>{t("login.title")}</h2>
      <Field label={t("login.username")}>
        <input name="username" autocomplete="username" required data-test="username" />
      </Field>
      <Field label={t("login.password")}>
        <input name="password" type="password" autocomplete="current-password" required data-test="password" />
      </Field>
      <Field label={t("login.region")}>
        <input
          name="region"
          required
          pattern="[0-9]{6}"
          defaultValue={localStorage.getItem("rhip.region") || ""}
          title={t("login.regionHint")}
          data-test="region"
        />
      </Field>
      <p class="muted small">{t("login.regionHint")}</p>
      <ErrorBox error={error} />
      <button type="submit" disabled={busy} data-test="login-submit">
        {t("login.submit")}
      </button>
    </form>
  );
}
