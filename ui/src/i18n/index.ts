// The string catalogues and the one function that reads them. Chinese is the default;
// English is switchable. Placeholders are `{name}`; a missing value is left visible.
import { en } from "./en";
import { zh, type Key } from "./zh";

export type Lang = "zh" | "en";
export const catalogues: Record<Lang, Record<Key, string>> = { zh, en };

export function translate(lang: Lang, key: Key, values: Record<string, string | number> = {}): string {
  return catalogues[lang][key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

export type { Key };
