// The console's one way to the server: the same JSON API any client uses, with the session
// in an HTTP-only cookie (so photos load in <img> tags). A refusal becomes an `ApiFailure`
// carrying the server's words and code.
import type {
  ActionAnswer,
  ActionRequest,
  ApiError,
  Conflict,
  ConsoleReport,
  Department,
  DeviceRow,
  Evaluation,
  FieldChoice,
  IntakeHealth,
  Person,
  ReportDetail,
  Session,
} from "./types";

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let resp: Response;
  try {
    resp = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiFailure(0, "network", "network");
  }
  if (!resp.ok) {
    let e: Partial<ApiError> = {};
    try {
      e = (await resp.json()) as ApiError;
    } catch {
      /* not JSON: keep the status */
    }
    throw new ApiFailure(resp.status, e.error ?? "http", e.message ?? `HTTP ${resp.status}`);
  }
  if (resp.status === 204) return undefined as T;
  return (await resp.json()) as T;
}

const enc = encodeURIComponent;

export const api = {
  signIn: (login: string, password: string) => call<Session>("POST", "/v1/console/session", { login, password }),
  signOut: () => call<void>("DELETE", "/v1/console/session"),
  me: () => call<Person>("GET", "/v1/console/me"),
  departments: () => call<Department[]>("GET", "/v1/console/departments"),
  codeTables: () => call<unknown[]>("GET", "/v1/console/code-tables"),
  reports: (states: string[]) => call<ConsoleReport[]>("GET", `/v1/console/reports?state=${enc(states.join(","))}`),
  report: (id: string) => call<ReportDetail>("GET", `/v1/console/reports/${enc(id)}`),
  act: (id: string, req: ActionRequest) => call<ActionAnswer>("POST", `/v1/console/reports/${enc(id)}/actions`, req),
  devices: () => call<DeviceRow[]>("GET", "/v1/console/devices"),
  health: () => call<IntakeHealth>("GET", "/v1/console/health"),
  conflicts: () => call<Conflict[]>("GET", "/v1/console/conflicts"),
  resolve: (id: string, fields: FieldChoice[]) =>
    call<{ version: number }>("POST", `/v1/console/conflicts/${enc(id)}/resolve`, { fields }),
  evaluation: (query: string) => call<Evaluation>("GET", `/v1/console/evaluation?${query}`),
};

/** Where a photo's bytes are served. */
export const photoUrl = (sha256: string) => `/v1/console/photos/${sha256}`;
