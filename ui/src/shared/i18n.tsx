// How both apps say things. Each app keeps its strings in catalogues of one layout
// (`i18n/zh.ts` and `i18n/en.ts`: one flat object of keys per language; Chinese is the
// default, English switchable; placeholders are `{name}`, and a value not given is left
// visible). `words` binds an app's catalogues to one language; the `I18nProvider` at an
// app's root holds the language chosen (remembered in localStorage) and gives it, with its
// words, to every component below through `useI18n`, so no component passes the language
// down by hand. Logic outside components takes a `Words` as its first argument.
import { createContext, type ComponentChildren } from "preact";
import { useContext, useEffect, useMemo, useState } from "preact/hooks";

export type Lang = "zh" | "en";
export type Values = Record<string, string | number>;

/** An app's strings: the same keys in every language (each app's tests check). */
export type Catalogues<K extends string> = Record<Lang, Record<K, string>>;

/** One language's words. */
export interface Words<K extends string = string> {
  lang: Lang;
  /** The locale dates and numbers are written in. */
  locale: string;
  /** The string for `key`, its placeholders filled from `values`. */
  t(key: K, values?: Values): string;
  /** Whether there are words for a key chosen at run time (an error's kind, say). */
  has(key: string): key is K;
}

/** The string for `key` in `lang`, its placeholders filled from `values`. */
export function translate<K extends string>(catalogues: Catalogues<K>, lang: Lang, key: K, values: Values = {}): string {
  return catalogues[lang][key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

export function words<K extends string>(catalogues: Catalogues<K>, lang: Lang): Words<K> {
  return {
    lang,
    locale: lang === "zh" ? "zh-CN" : "en-GB",
    t: (key, values) => translate(catalogues, lang, key, values),
    has: (key): key is K => key in catalogues[lang],
  };
}

/** The words of the language chosen, and how to choose another. */
export interface I18n<K extends string = string> extends Words<K> {
  setLang(lang: Lang): void;
}

const Context = createContext<I18n | null>(null);

export interface I18nProviderProps<K extends string> {
  catalogues: Catalogues<K>;
  /** Where the choice is remembered, in localStorage. */
  storageKey: string;
  /** The language to start in, instead of the one remembered (or Chinese). */
  lang?: Lang;
  children: ComponentChildren;
}

export function I18nProvider<K extends string>({ catalogues, storageKey, lang: initial, children }: I18nProviderProps<K>) {
  const [lang, setLang] = useState<Lang>(() => initial ?? (localStorage.getItem(storageKey) === "en" ? "en" : "zh"));
  const value = useMemo<I18n<K>>(
    () => ({
      ...words(catalogues, lang),
      setLang: (next) => {
        localStorage.setItem(storageKey, next);
        setLang(next);
      },
    }),
    [catalogues, lang, storageKey],
  );
  useEffect(() => {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  }, [lang]);
  return <Context.Provider value={value as I18n}>{children}</Context.Provider>;
}

/** The language and its words, in any component under an `I18nProvider`. Each app names
 * its own keys: `useI18n<Key>()`. */
export function useI18n<K extends string>(): I18n<K> {
  const i18n = useContext(Context);
  if (!i18n) throw new Error("useI18n is called outside an I18nProvider");
  return i18n as I18n<K>;
}
