// The one error type of both apps. The tablet's commands reject with the engine's
// `CommandError` ({kind, message, fields}); the console's client throws when the server
// refuses (its `ApiError`: {error, message}) or cannot be reached. Both end up as a
// `Failure`: a kind to branch on, the words of whoever refused, and for a refused form
// the fields it named. A failure is said in the user's language when the app's catalogue
// has words for its kind (`error.<kind>`), and in the refusing side's words otherwise.
import type { Words } from "./i18n";
import { knows, say, sayProblem, type Names } from "./say";
import type { ApiError, FieldMessage, Message } from "./types";

export class Failure extends Error {
  constructor(
    /** `network`, `invalid`, `signed_out`, … as the engine or the server names it. */
    readonly kind: string,
    message: string,
    /** For a refused form: each field named and what is wrong with it. */
    readonly fields: Record<string, string> = {},
    /** What the server (or engine) said as a code of the message catalogue, to be said
     * in the user's language; null when it sent words only. */
    readonly said: Message | null = null,
    /** The same field problems as codes. */
    readonly problems: FieldMessage[] = [],
  ) {
    super(message);
    this.name = "Failure";
  }

  /** Anything thrown or rejected, as a `Failure`: an object with a message (the tablet's
   * `CommandError`) keeps its kind and fields; anything else is `internal`. */
  static from(e: unknown): Failure {
    if (e instanceof Failure) return e;
    if (e && typeof e === "object" && "message" in e) {
      const { kind, message, fields, problems, said } = e as {
        kind?: unknown;
        message: unknown;
        fields?: [string, string][];
        problems?: FieldMessage[];
        said?: Message;
      };
      return new Failure(
        typeof kind === "string" ? kind : "internal",
        String(message),
        Object.fromEntries(fields ?? []),
        said ?? null,
        problems ?? [],
      );
    }
    return new Failure("internal", String(e));
  }
}

/** A server's refusal (its `ApiError`, or only its status when the body is not JSON) as a
 * `Failure`: the server's error code as its kind, its words, and its message as a code of
 * the catalogue. */
export async function refusal(resp: Response): Promise<Failure> {
  let e: Partial<ApiError> = {};
  try {
    e = (await resp.json()) as ApiError;
  } catch {
    /* not JSON: keep the status */
  }
  const said = e.code ? { code: e.code, params: e.params ?? {}, fields: e.fields ?? [], cause: e.cause ?? null } : null;
  return new Failure(e.error ?? "http", e.message ?? `HTTP ${resp.status}`, {}, said, e.fields ?? []);
}

/** A failure of `kind` in the user's language where the catalogue has words for the kind,
 * with what follows the message's first clause (a refusal's reason, say) as `{detail}`;
 * the message itself otherwise. */
export function failureWords(w: Words, kind: string | null | undefined, message: string): string {
  const key = `error.${kind}`;
  if (!kind || !w.has(key)) return message;
  const detail = message.includes(": ") ? message.slice(message.indexOf(": ") + 2) : message;
  return w.t(key, { detail });
}

/** What to show for anything thrown: the server's message in the user's language when it
 * sent a code (inside the kind's words, where those pass a `{detail}` on), else as before. */
export function failureText(w: Words, e: unknown, names: Names = {}): string {
  const f = Failure.from(e);
  if (f.said && knows(f.said.code)) {
    const text = say(w.lang, f.said, f.message, names);
    const key = `error.${f.kind}`;
    // A kind's words that pass a `{detail}` on wrap the message ("服务器拒收：…"); the
    // others would replace it, so the message stands alone. (A placeholder not given is
    // left visible by `t`.)
    return w.has(key) && w.t(key).includes("{detail}") ? w.t(key, { detail: text }) : text;
  }
  return failureWords(w, f.kind, f.message);
}

/** Each refused field's problem in the user's language, by field (the engine's words where
 * it sent no code). */
export function fieldProblems(w: Words, f: Failure): Record<string, string> {
  const out: Record<string, string> = { ...f.fields };
  for (const p of f.problems) if (knows(p.code)) out[p.field] = sayProblem(w.lang, p);
  return out;
}
