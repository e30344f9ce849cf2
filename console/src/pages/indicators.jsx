// Regional administrator: the health-record indicators of the region (ECharts bar chart and the
// same numbers in a table), per institution, and the institution ranking with the bottom three
// highlighted.
import { useMemo, useState } from "preact/hooks";
import { get } from "../api.js";
import { Chart } from "../chart.jsx";
import { chinaDay, chinaMonthEnd } from "../days.js";
import { useLoad } from "../hooks.js";
import { percent, t } from "../i18n.js";
import { RegionLabel, TenantLabel } from "../labels.jsx";
import { ErrorBox, Loading, Table } from "../ui.jsx";
import { listAll } from "./institutions.jsx";

const RATES = [
  "INDICATOR_KIND_USAGE_RATE",
  "INDICATOR_KIND_QUALIFIED_RATE",
  "INDICATOR_KIND_FOLLOW_UP_RATE",
  "INDICATOR_KIND_TIMELY_FOLLOW_UP_RATE",
];
const GRASSROOTS = new Set([
  "TENANT_TYPE_COMMUNITY_HEALTH_CENTER",
  "TENANT_TYPE_COMMUNITY_HEALTH_STATION",
  "TENANT_TYPE_TOWNSHIP_HOSPITAL",
  "TENANT_TYPE_VILLAGE_CLINIC",
]);

// Percent with two decimals, as a number for the chart.
const pct = (indicator) => Math.round((indicator?.rate || 0) * 10000) / 100;
const byKind = (indicators) => new Map((indicators || []).map((i) => [i.kind, i]));

function count(i) {
  return i.denominator ? `${i.numerator || 0} / ${i.denominator}` : `${i.numerator || 0}`;
}

function RegionIndicators({ region }) {
  const [data, error, loading] = useLoad(() => get(`/archives/v1/regions/${region}/indicators`), [region]);
  const option = useMemo(() => {
    const kinds = byKind(data?.indicators);
    return {
      tooltip: {},
      grid: { left: 48, right: 16, top: 24, bottom: 32 },
      xAxis: { type: "category", data: RATES.map((k) => t(k)) },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{ name: t("ind.region"), type: "bar", data: RATES.map((k) => pct(kinds.get(k))), label: { show: true, position: "top", formatter: "{c}%" } }],
    };
  }, [data]);
  if (loading) return <Loading />;
  if (error) return <ErrorBox error={error} />;
  return (
    <div class="card">
      <h3>
        {t("ind.region")} · <RegionLabel code={region} /> · {t("ind.asOf")} {data.asOf}
      </h3>
      <Chart option={option} test="region-chart" />
      <Table
        test="region-indicators"
        rows={data.indicators}
        columns={[
          ["", (i) => t(i.kind)],
          [t("ind.count"), count],
          [t("ind.rate"), (i) => (i.denominator ? <span data-test={`rate-${i.kind}`}>{percent(i.rate || 0)}</span> : <span class="muted">{t("ind.noPopulation")}</span>)],
        ]}
      />
    </div>
  );
}

function PerInstitution({ region }) {
  const [rows, error, loading] = useLoad(async () => {
    const tenants = (await listAll(`/identity/v1/regions/${region}/tenants`, "tenants")).filter((x) => GRASSROOTS.has(x.type));
    const answers = await Promise.all(tenants.map((x) => get(`/archives/v1/${x.name}/indicators`)));
    return tenants.map((tenant, n) => ({ tenant, kinds: byKind(answers[n].indicators) }));
  }, [region]);
  const option = useMemo(
    () => ({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 40, bottom: 64 },
      xAxis: { type: "category", data: (rows || []).map((r) => r.tenant.displayName), axisLabel: { interval: 0, rotate: 12 } },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: RATES.map((kind) => ({ name: t(kind), type: "bar", data: (rows || []).map((r) => pct(r.kinds.get(kind))) })),
    }),
    [rows],
  );
  if (loading) return <Loading />;
  if (error) return <ErrorBox error={error} />;
  return (
    <div class="card">
      <h3>{t("ind.perInstitution")}</h3>
      <Chart option={option} test="institution-chart" height={360} />
    </div>
  );
}

// Month ends of the last half year and today: the indicators as they stood on each date
// (as_of), so a region sees its filing and follow-up work grow.
function asOfDates() {
  const now = new Date();
  const dates = [];
  for (let back = 6; back >= 1; back -= 1) {
    dates.push(chinaMonthEnd(back, now));
  }
  dates.push(chinaDay(now));
  return dates;
}

function OverTime({ region }) {
  const [points, error, loading] = useLoad(async () => {
    const dates = asOfDates();
    const answers = await Promise.all(dates.map((asOf) => get(`/archives/v1/regions/${region}/indicators`, { asOf })));
    return answers.map((answer, n) => ({ date: dates[n], kinds: byKind(answer.indicators) }));
  }, [region]);
  const option = useMemo(
    () => ({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 40, bottom: 32 },
      xAxis: { type: "category", data: (points || []).map((p) => p.date) },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: RATES.map((kind) => ({ name: t(kind), type: "line", data: (points || []).map((p) => pct(p.kinds.get(kind))) })),
    }),
    [points],
  );
  if (loading) return <Loading />;
  if (error) return <ErrorBox error={error} />;
  return (
    <div class="card">
      <h3>{t("ind.overTime")}</h3>
      <Chart option={option} test="time-chart" />
    </div>
  );
}

function Ranking({ region }) {
  const [kind, setKind] = useState("INDICATOR_KIND_USAGE_RATE");
  const [data, error, loading] = useLoad(() => get(`/archives/v1/regions/${region}/institutionRanking`, { kind }), [region, kind]);
  // The ranking lists the best first; the bottom three (the API's own "bottom") are marked.
  const bottom = new Set((data?.bottom || []).map((s) => s.tenant));
  const best = data?.best || [];
  // With more institutions than the best list holds, the bottom ones follow after a gap.
  const listed = new Set(best.map((s) => s.tenant));
  const rows = [
    ...best.map((score, n) => ({ ...score, rank: n + 1 })),
    ...(data?.bottom || []).filter((s) => !listed.has(s.tenant)).map((score) => ({ ...score, rank: "—" })),
  ];
  return (
    <div class="card">
      <div class="toolbar">
        <h3>{t("ind.ranking")}</h3>
        <select value={kind} onChange={(e) => setKind(e.target.value)} data-test="ranking-kind">
          {RATES.map((k) => (
            <option value={k}>{t(k)}</option>
          ))}
        </select>
      </div>
      <ErrorBox error={error} />
      {loading ? (
        <Loading />
      ) : (
        <>
          <Table
            test="ranking"
            rows={rows}
            rowClass={(r) => (bottom.has(r.tenant) ? "bottom" : "")}
            columns={[
              [t("ind.rank"), (r) => r.rank],
              [t("tenant.name"), (r) => <TenantLabel name={r.tenant} />],
              [t("ind.count"), (r) => count(r.indicator)],
              [t("ind.rate"), (r) => percent(r.indicator.rate || 0)],
              ["", (r) => (bottom.has(r.tenant) ? <span class="badge">{t("ind.bottom")}</span> : "")],
            ]}
          />
        </>
      )}
    </div>
  );
}

export function Indicators({ principal }) {
  const region = principal.regionCode;
  return (
    <section>
      <h2>{t("ind.title")}</h2>
      <RegionIndicators region={region} />
      <PerInstitution region={region} />
      <OverTime region={region} />
      <Ranking region={region} />
    </section>
  );
}
