// Chinese first (zh-CN is the default), English second. Keys are English-ish ids; enum values
// from the API (TENANT_TYPE_…) are labelled in locales/ so that people never read a raw enum.
import { signal } from "./signals.js";
import { en } from "./locales/en.js";
import { zh } from "./locales/zh-CN.js";

const DICTS = { "zh-CN": zh, en };

export const lang = signal(localStorage.getItem("rhip.lang") || "zh-CN");

export function setLang(value) {
  localStorage.setItem("rhip.lang", value);
  document.documentElement.lang = value;
  lang.set(value);
}

document.documentElement.lang = lang.get();

// t("key"): the phrase in the current language; an unknown key reads as itself, so a new enum
// value still shows (as its name) rather than nothing.
export function t(key) {
  return DICTS[lang.get()][key] ?? zh[key] ?? key;
}

export function has(key) {
  return key in DICTS[lang.get()];
}

export function percent(rate) {
  return `${(rate * 100).toFixed(2)}%`;
}
