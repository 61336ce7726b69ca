// How the generated client (client.ts) reaches the server: the same JSON API any client
// uses, with the session in an HTTP-only cookie (so photos load in <img> tags). A refusal
// becomes a `Failure` (../shared/error.ts) whose kind is the server's error code and whose
// message is the server's words; a server that cannot be reached is the kind `network`.
// When the server answers that the session is gone (`signed_out`), whoever listens
// (`onSignedOut`: the console's shell) is told too, so the console returns to its sign-in
// page from wherever it was.
import { Failure, refusal } from "../shared/error";

/** Query parameters; those without a value are left out. */
export type Query = Record<string, string | number | null | undefined>;

/** `path` with `query` appended. */
export function link(path: string, query: Query = {}): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined) search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

const signedOut = new Set<() => void>();

/** Calls `f` whenever the server says the session is gone; returns the unsubscribe. */
export function onSignedOut(f: () => void): () => void {
  signedOut.add(f);
  return () => void signedOut.delete(f);
}

/** One request; the answer's JSON, or null for an answer without content. */
export async function call<T>(method: string, path: string, query: Query = {}, body?: unknown): Promise<T> {
  let resp: Response;
  try {
    resp = await fetch(link(path, query), {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Failure("network", "network");
  }
  if (!resp.ok) {
    const failure = await refusal(resp);
    if (failure.kind === "signed_out") for (const f of signedOut) f();
    throw failure;
  }
  if (resp.status === 204) return null as T;
  return (await resp.json()) as T;
}

/** Sends a file as the request's body (the console's imports); the answer's JSON. */
export async function upload<T>(path: string, query: Query, file: Blob): Promise<T> {
  let resp: Response;
  try {
    resp = await fetch(link(path, query), {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/octet-stream" },
      body: file,
    });
  } catch {
    throw new Failure("network", "network");
  }
  if (!resp.ok) {
    const failure = await refusal(resp);
    if (failure.kind === "signed_out") for (const f of signedOut) f();
    throw failure;
  }
  return (await resp.json()) as T;
}
