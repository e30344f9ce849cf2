// Regional administrator: birth-certificate blank stock (出生医学证明空白证件) of the region, one
// row per holder (each level of the region tree and each institution below it) from mch's stock
// report, holders by name. A row that does not balance (what came in ≠ where it went) is marked.
// (No arrow parameter is called h: the JSX factory is h.)
import { get } from "../api.js";
import { useLoad } from "../hooks.js";
import { t } from "../i18n.js";
import { RegionLabel, TenantLabel } from "../labels.jsx";
import { ErrorBox, Loading, Table } from "../ui.jsx";

const COUNTS = ["received", "transferredOut", "inTransit", "inStock", "issued", "voidBlank", "voidIssued", "lost", "destroyed"];

// The level of a holder: a region's by its code (GB/T 2260: 320000 province, 320300 city,
// 320311 county), or an institution.
export function holderLevel(holder) {
  const [kind, id] = holder.split("/");
  if (kind === "tenants") return "institution";
  if (id.endsWith("0000")) return "province";
  if (id.endsWith("00")) return "city";
  return "county";
}

function Holder({ holder }) {
  const [kind, id] = holder.split("/");
  return kind === "tenants" ? <TenantLabel name={holder} /> : <RegionLabel code={id} />;
}

export function Stock({ principal }) {
  const region = principal.regionCode;
  const [report, error, loading] = useLoad(() => get(`/mch/v1/regions/${region}/stockReport`), [region]);
  return (
    <section>
      <h2>{t("nav.stock")}</h2>
      <p class="muted">{t("stock.help")}</p>
      <ErrorBox error={error} />
      {loading ? (
        <Loading />
      ) : (
        report && (
          <Table
            test="stock"
            rows={report.holders || []}
            rowClass={(holder) => (holder.balanced ? "" : "late")}
            columns={[
              [t("stock.level"), (holder) => t(`stock.level.${holderLevel(holder.holder)}`)],
              [t("stock.holder"), (holder) => <Holder holder={holder.holder} />],
              ...COUNTS.map((key) => [t(`stock.${key}`), (holder) => <span data-count={key}>{Number(holder[key] || 0)}</span>]),
              [t("stock.balanced"), (holder) => (holder.balanced ? "✓" : <span class="badge">{t("stock.unbalanced")}</span>)],
            ]}
          />
        )
      )}
    </section>
  );
}
