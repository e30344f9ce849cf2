// Any signed-in person: change their own password (the platform's policy checks the new one;
// a required change, e.g. after a reset, ends here).
import { useState } from "preact/hooks";
import { newRequestId, post, session } from "../api.js";
import { t } from "../i18n.js";
import { ErrorBox, Field, Notice, formData } from "../ui.jsx";

export function Password({ principal }) {
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState("");
  async function submit(event) {
    event.preventDefault();
    const { currentPassword, newPassword, again } = formData(event.target);
    setError(null);
    setNotice("");
    if (newPassword !== again) {
      setNotice(t("password.mismatch"));
      return;
    }
    try {
      await post(`/identity/v1/users/${principal.subject.slice("user:".length)}:changePassword`, {
        currentPassword,
        newPassword,
        requestId: newRequestId(),
      });
      session.set({ ...session.get(), passwordChangeRequired: false });
      sessionStorage.setItem("rhip.session", JSON.stringify(session.get()));
      event.target.reset();
      setNotice(t("password.changed"));
    } catch (failed) {
      setError(failed);
    }
  }
  return (
    <section>
      <h2>{t("password.title")}</h2>
      <form class="card login" onSubmit={submit} data-test="password-form">
        <Field label={t("password.current")}>
          <input name="currentPassword" type="password" required autocomplete="current-password" />
        </Field>
        <Field label={t("password.new")}>
          <input name="newPassword" type="password" required autocomplete="new-password" />
        </Field>
        <Field label={t("password.again")}>
          <input name="again" type="password" required autocomplete="new-password" />
        </Field>
        <ErrorBox error={error} />
        <Notice text={notice} />
        <button type="submit">{t("save")}</button>
      </form>
    </section>
  );
}
