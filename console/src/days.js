// The platform's day is a day in China Standard Time (UTC+8, no daylight saving), as the
// services take it (rhip.kit.timestamps.clinical_day), whatever zone the browser is in: from
// 00:00 to 08:00 in China the UTC date is yesterday, and a date the console offered from it
// (a follow-up's default date, the indicators' "today") was the day before.
const CHINA_OFFSET_MS = 8 * 3600 * 1000;

// The China day of a moment (now by default), as YYYY-MM-DD.
export function chinaDay(moment = new Date()) {
  return new Date(moment.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

// The last day of the month ``back`` months before this China month, as YYYY-MM-DD.
export function chinaMonthEnd(back, moment = new Date()) {
  const shifted = new Date(moment.getTime() + CHINA_OFFSET_MS);
  return new Date(Date.UTC(shifted.getUTCFullYear(), shifted.getUTCMonth() - back + 1, 0))
    .toISOString()
    .slice(0, 10);
}
