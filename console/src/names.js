// Names, not ids, where people read: region labels with their codes and institution names,
// looked up once per session through the same API.
import { get } from "./api.js";
import { lang } from "./i18n.js";

const regions = new Map();
const tenants = new Map();

export async function region(code) {
  if (!code) return null;
  if (!regions.has(code)) regions.set(code, get(`/identity/v1/regions/${code}`).catch(() => null));
  return regions.get(code);
}

export function regionLabel(r, code) {
  if (!r) return code;
  const name = lang.get() === "en" && r.englishName ? r.englishName : r.displayName;
  return `${name} (${r.code})`;
}

export async function regionName(code) {
  return regionLabel(await region(code), code);
}

export async function tenantName(name) {
  if (!name) return "";
  if (!tenants.has(name)) {
    tenants.set(
      name,
      get(`/identity/v1/${name}`)
        .then((tenant) => tenant.displayName)
        .catch(() => name),
    );
  }
  return tenants.get(name);
}

export function rememberTenant(tenant) {
  tenants.set(tenant.name, Promise.resolve(tenant.displayName));
}

// Resolve a list of tenant names to display names, in order.
export async function tenantNames(names) {
  return Promise.all(names.map(tenantName));
}

const users = new Map();

// "user:<id>" → the username; other subjects (service accounts, anonymous) as they are.
export async function subjectName(subject) {
  if (!subject || !subject.startsWith("user:")) return subject || "";
  if (!users.has(subject)) {
    users.set(
      subject,
      get(`/identity/v1/users/${subject.slice(5)}`)
        .then((user) => `${user.username} · ${user.displayName}`)
        .catch(() => subject),
    );
  }
  return users.get(subject);
}

const records = new Map();

// "healthRecords/<id>" → "resident name · record number", for the roles that may read both
// (each read is audited like any other); the id's tail when the caller may not.
export async function recordName(name) {
  if (!records.has(name)) {
    records.set(
      name,
      get(`/archives/v1/${name}`)
        .then(async (record) => {
          const resident = await get(`/identity/v1/${record.resident}`);
          return `${resident.displayName} · ${record.recordNumber}`;
        })
        .catch(() => name.split("/")[1].slice(-8)),
    );
  }
  return records.get(name);
}
