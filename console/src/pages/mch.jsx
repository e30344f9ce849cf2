// Regional administrator: maternal and child health indicators of the region (the last year).
import { t } from "../i18n.js";
import { IndicatorPanel } from "./panel.jsx";

export function Mch({ principal }) {
  const region = principal.regionCode;
  return (
    <section>
      <h2>{t("nav.mch")}</h2>
      <IndicatorPanel title={t("mch.indicators")} path={`/mch/v1/regions/${region}/indicators`} region={region} test="mch-indicators" />
    </section>
  );
}
