// The console's string catalogues, read through the shared i18n (../../shared/i18n.tsx).
import { type Catalogues, type I18n, useI18n as useSharedI18n } from "../../shared/i18n";
import { en } from "./en";
import { zh, type Key } from "./zh";

export const catalogues: Catalogues<Key> = { zh, en };

/** The language and the console's words, in any component of the console. */
export const useI18n = (): I18n<Key> => useSharedI18n<Key>();

export type { Key };
