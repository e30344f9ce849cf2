// An indicator set as the services answer it ({indicators: [{kind, numerator, denominator,
// rate, target}]}): a bar chart of the rates and a table of the counts. Used by the MCH and
// referral pages; the health-record page has its own, with per-institution bars.
import { useMemo } from "preact/hooks";
import { get } from "../api.js";
import { Chart } from "../chart.jsx";
import { useLoad } from "../hooks.js";
import { percent, t } from "../i18n.js";
import { RegionLabel } from "../labels.jsx";
import { ErrorBox, Loading, Table } from "../ui.jsx";

// kinds whose `rate` is not a share (the mean minutes to acceptance)
const NOT_RATES = new Set(["REFERRAL_INDICATOR_KIND_ACCEPTANCE_MINUTES"]);

export function IndicatorPanel({ title, path, region, test }) {
  const [data, error, loading] = useLoad(() => get(path), [path]);
  const rates = (data?.indicators || []).filter((i) => !NOT_RATES.has(i.kind) && !i.specialty);
  const option = useMemo(
    () => ({
      tooltip: {},
      grid: { left: 48, right: 16, top: 24, bottom: 56 },
      xAxis: { type: "category", data: rates.map((i) => t(i.kind)), axisLabel: { interval: 0, rotate: 12 } },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        {
          name: title,
          type: "bar",
          data: rates.map((i) => Math.round((i.rate || 0) * 10000) / 100),
          label: { show: true, position: "top", formatter: "{c}%" },
        },
      ],
    }),
    [data],
  );
  if (loading) return <Loading />;
  if (error) return <ErrorBox error={error} />;
  const value = (i) => {
    if (!i.denominator) return <span class="muted">—</span>;
    if (NOT_RATES.has(i.kind)) return `${(i.rate || 0).toFixed(1)} ${t("minutes")}`;
    return percent(i.rate || 0);
  };
  return (
    <div class="card">
      <h3>
        {title} · <RegionLabel code={region} /> · {t("ind.asOf")} {data.asOf}
        {data.periodStart && ` (${t("ind.since")} ${data.periodStart})`}
      </h3>
      <Chart option={option} test={`${test}-chart`} />
      <Table
        test={test}
        rows={data.indicators}
        rowClass={(i) => (i.target && i.denominator && !i.meetsTarget ? "bottom" : "")}
        columns={[
          ["", (i) => t(i.kind) + (i.specialty ? ` · ${i.specialty}` : "")],
          [t("ind.count"), (i) => `${i.numerator || 0} / ${i.denominator || 0}`],
          [t("ind.rate"), value],
          [t("ind.target"), (i) => (i.target ? percent(i.target) : "")],
        ]}
      />
    </div>
  );
}
