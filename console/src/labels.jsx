import { useEffect, useState } from "preact/hooks";
import { useSignal } from "./hooks.js";
import { lang } from "./i18n.js";
import { recordName, regionName, subjectName, tenantName } from "./names.js";

export function RegionLabel({ code }) {
  const language = useSignal(lang);
  const [text, setText] = useState(code);
  useEffect(() => {
    regionName(code).then(setText);
  }, [code, language]);
  return <span class="region-label">{text}</span>;
}

export function TenantLabel({ name }) {
  const [text, setText] = useState("…");
  useEffect(() => {
    tenantName(name).then(setText);
  }, [name]);
  return <span class="tenant-label">{text}</span>;
}

export function SubjectLabel({ subject }) {
  const [text, setText] = useState(subject);
  useEffect(() => {
    subjectName(subject).then(setText);
  }, [subject]);
  return <span class="subject-label">{text}</span>;
}

export function RecordLabel({ name }) {
  const [text, setText] = useState("…");
  useEffect(() => {
    recordName(name).then(setText);
  }, [name]);
  return <span class="record-label">{text}</span>;
}
