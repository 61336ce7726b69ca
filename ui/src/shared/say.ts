// Saying a message of the centre's catalogue (a code with its parameters, see
// crates/protocol/src/message.rs) in the user's language: the Chinese sentence from
// messages.zh.ts, the English one from messages.ts (generated). Parameters that are codes
// themselves (a role, an act, a case state, a case action) are said in words too; a message
// passed on (`cause`) is said as its `{reason}`; field problems follow the sentence, each
// with the field's name. A code this build does not know (a newer centre) falls back to
// the English the server sent, so nothing is ever shown blank.
import type { Lang } from "./i18n";
import { MESSAGES, VALUE_WORDS_EN, type MessageCode } from "./messages";
import { FIELD_WORDS_ZH, MESSAGES_ZH, VALUE_WORDS_ZH } from "./messages.zh";
import type { FieldMessage, Message } from "./types";

/** Whether `code` is one this build can say. */
export function knows(code: string | null | undefined): code is MessageCode {
  return !!code && Object.prototype.hasOwnProperty.call(MESSAGES, code);
}

function template(lang: Lang, code: MessageCode): string {
  return lang === "zh" ? MESSAGES_ZH[code] : MESSAGES[code].en;
}

function valueWords(lang: Lang, name: string, value: string): string {
  const kind = name === "seen" ? "state" : name;
  const table = (lang === "zh" ? VALUE_WORDS_ZH : VALUE_WORDS_EN)[kind];
  return table?.[value] ?? value;
}

/** A coded value (a source, a state, a role …) in words. */
export function sayValue(lang: Lang, kind: string, value: string): string {
  return valueWords(lang, kind, value);
}

/** Names for identifiers the reader knows by another name (the report on screen as
 * "this report"): a parameter whose value is one of these keys is said by its name. */
export type Names = Record<string, string>;

function fill(lang: Lang, text: string, params: Record<string, string>, names: Names = {}): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? (names[params[name]] ?? valueWords(lang, name, params[name])) : whole,
  );
}

/** A field's path in words: each part that has a name named (`clips[0].officer_badge` →
 * 执法记录仪视频[0].工号), the others (`sha256`) as they are. */
export function fieldWords(lang: Lang, field: string): string {
  if (lang !== "zh") return field;
  const named = (part: string) => (Object.prototype.hasOwnProperty.call(FIELD_WORDS_ZH, part) ? FIELD_WORDS_ZH[part] : null);
  return named(field) ?? field.replace(/[a-z_][a-z0-9_]*/g, (part) => named(part) ?? part);
}

/** What is wrong with one field (or what changed in it), in words (without the field's
 * name). */
export function sayProblem(lang: Lang, f: FieldMessage, names: Names = {}): string {
  return knows(f.code) ? fill(lang, template(lang, f.code), f.params ?? {}, names) : f.code;
}

/** One field's problem in words, after the field's name. */
export function sayField(lang: Lang, f: FieldMessage, names: Names = {}): string {
  return `${fieldWords(lang, f.field)}${lang === "zh" ? "：" : ": "}${sayProblem(lang, f, names)}`;
}

/** A message in words; `fallback` (the server's English) for a code this build does not know. */
export function say(lang: Lang, m: Message, fallback?: string, names: Names = {}): string {
  if (!knows(m.code)) return fallback ?? m.code;
  const params: Record<string, string> = { ...(m.params ?? {}) };
  if (m.cause) params.reason = say(lang, m.cause, undefined, names);
  if (m.fields && m.fields.length > 0) {
    params.problems = m.fields.map((f) => sayField(lang, f, names)).join(lang === "zh" ? "；" : "; ");
  }
  return fill(lang, template(lang, m.code), params, names);
}

/** A stored note (the tablet keeps the centre's words as a message) in words; `names` say
 * the values the reader knows by a name (a category's `kind:code` in a correction). */
export function sayNote(lang: Lang, note: Message | string | null | undefined, names: Names = {}): string | null {
  if (note === null || note === undefined) return null;
  return typeof note === "string" ? note : say(lang, note, undefined, names);
}

/** A note as the centre stores it on a report (the console reads it raw): a message's JSON,
 * or words written before notes had codes. */
export function storedNote(text: string | null | undefined): Message | null {
  if (!text) return null;
  try {
    const m = JSON.parse(text) as Message;
    if (m && typeof m === "object" && typeof m.code === "string" && m.code) return m;
  } catch {
    // Plain words.
  }
  return { code: "verbatim", params: { text } };
}
