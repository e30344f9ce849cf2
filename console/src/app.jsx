// The shell: sign-in page or the signed-in layout (header, the role's menu, the page of the
// location hash). Each role sees only the pages its tokens can use.
import { useEffect, useState } from "preact/hooks";
import { session, signOut } from "./api.js";
import { useSignal } from "./hooks.js";
import { lang, setLang, t } from "./i18n.js";
import { RegionLabel } from "./labels.jsx";
import { Login } from "./pages/login.jsx";
import { Institutions } from "./pages/institutions.jsx";
import { Users } from "./pages/users.jsx";
import { Indicators } from "./pages/indicators.jsx";
import { Overdue } from "./pages/overdue.jsx";
import { Residents } from "./pages/residents.jsx";
import { Record } from "./pages/record.jsx";
import { Audit } from "./pages/audit.jsx";
import { Mch } from "./pages/mch.jsx";
import { Referrals } from "./pages/referrals.jsx";
import { Password } from "./pages/password.jsx";
import { Imports } from "./pages/imports.jsx";
import { Stock } from "./pages/stock.jsx";
import { SpotChecks } from "./pages/spotchecks.jsx";

const MENUS = {
  PRINCIPAL_KIND_REGIONAL_ADMIN: [
    ["institutions", "nav.institutions"],
    ["users", "nav.users"],
    ["indicators", "nav.indicators"],
    ["overdue", "nav.overdue"],
    ["mch", "nav.mch"],
    ["referrals", "nav.referrals"],
    ["stock", "nav.stock"],
    ["spotchecks", "nav.spotchecks"],
    ["imports", "nav.imports"],
  ],
  PRINCIPAL_KIND_PRACTITIONER: [
    ["residents", "nav.residents"],
    ["overdue", "nav.clinicOverdue"],
  ],
  PRINCIPAL_KIND_AUDITOR: [["audit", "nav.audit"]],
};

const PAGES = { institutions: Institutions, users: Users, indicators: Indicators, overdue: Overdue, residents: Residents, record: Record, audit: Audit, mch: Mch, referrals: Referrals, password: Password, imports: Imports, stock: Stock, spotchecks: SpotChecks };

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return hash.replace(/^#\/?/, "").split("/");
}

function LangSwitch() {
  const language = useSignal(lang);
  return (
    <button class="link" data-test="lang" onClick={() => setLang(language === "en" ? "zh-CN" : "en")}>
      {t("lang.switch")}
    </button>
  );
}

export function App() {
  const current = useSignal(session);
  useSignal(lang); // re-render everything in the new language
  const [page, ...args] = useHash();
  useEffect(() => {
    document.title = `${t("title")} · rhip`;
  });
  if (!current) {
    return (
      <div class="centered">
        <div class="topright">
          <LangSwitch />
        </div>
        <Login />
      </div>
    );
  }
  const principal = current.principal;
  const menu = MENUS[principal.kind] || [];
  const name = PAGES[page] && (page === "record" || page === "password" || menu.some(([key]) => key === page)) ? page : menu[0]?.[0];
  const Page = PAGES[name];
  return (
    <div class="layout">
      <header>
        <span class="brand">{t("title")}</span>
        <span class="who" data-test="who">
          {principal.displayName} · {t(`role.${principal.kind}`)}
          {principal.regionCode && (
            <>
              {" · "}
              <RegionLabel code={principal.regionCode} />
            </>
          )}
        </span>
        <a class="link" href="#/password" data-test="nav-password">
          {t("password.title")}
        </a>
        <a class="link" href="/docs/" target="_blank" rel="noopener">
          {t("apiDocs")}
        </a>
        <LangSwitch />
        <button class="link" data-test="sign-out" onClick={() => signOut()}>
          {t("signOut")}
        </button>
      </header>
      <nav>
        {menu.map(([key, label]) => (
          <a href={`#/${key}`} class={key === name ? "active" : ""} data-test={`nav-${key}`}>
            {t(label)}
          </a>
        ))}
      </nav>
      {current.passwordChangeRequired && (
        <div class="notice banner" data-test="password-banner">
          <a href="#/password">{t("login.changePassword")}</a>
        </div>
      )}
      <main>{Page ? <Page principal={principal} args={args} /> : <p>{t("none")}</p>}</main>
    </div>
  );
}
