import { describe, expect, it } from "vitest";

import type { DeviceRow, Person, Team } from "../../shared/types";
import { defaultServer, inspectorsOf, replacedWithWork } from "../enroll";

const person = (login: string, role: Person["role"], id = login): Person => ({
  id,
  login,
  name: login,
  role,
  team: "T1",
  department: null,
});

const device = (id: string, user: Person, enrolled_at: string, reports: number): DeviceRow => ({
  id,
  user,
  enrolled_at,
  last_seen: "2026-12-01T08:00:00Z",
  app_version: null,
  model: null,
  queue: { reports, photos: 0, bytes: 0 },
  reports_received: 0,
  last_received_at: null,
});

describe("enrolling tablets by QR code", () => {
  it("offers the inspectors of the teams in reach, and no one else", () => {
    const teams: Team[] = [
      { code: "T1", name: "一组", members: [person("chen", "leader"), person("wang", "inspector")] },
      { code: "T2", name: "二组", members: [person("li", "inspector")] },
    ];
    expect(inspectorsOf(teams).map((p) => p.login)).toEqual(["li", "wang"]);
  });

  it("puts the console's own address in the code unless told otherwise", () => {
    expect(defaultServer("https://centre.example:8443/")).toBe("https://centre.example:8443");
  });

  it("warns of an old tablet that still held reports when its inspector got a new one", () => {
    const li = person("li", "inspector");
    const wang = person("wang", "inspector");
    const old = device("A", li, "2026-11-01T00:00:00Z", 3);
    const newer = device("B", li, "2026-12-02T00:00:00Z", 0);
    const alone = device("C", wang, "2026-11-01T00:00:00Z", 5);
    const emptied = device("D", wang, "2026-10-01T00:00:00Z", 0);
    const rows = [old, newer, alone, emptied];
    expect(replacedWithWork(rows)).toEqual([{ old, newer }]);
    // The newest tablet holding work is not "replaced" by an older one.
    expect(replacedWithWork([newer, { ...old, queue: { reports: 0, photos: 0, bytes: 0 } }])).toEqual([]);
  });
});
