// The shared error type: what both apps receive, said in the user's language when the
// catalogue knows the kind.
import { describe, expect, it } from "vitest";

import { Failure, failureText, failureWords } from "../error";
import { words, type Catalogues } from "../i18n";

const catalogues: Catalogues<"error.refused" | "error.network"> = {
  zh: { "error.refused": "服务器拒收：{detail}", "error.network": "无法连接" },
  en: { "error.refused": "Refused: {detail}", "error.network": "No connection" },
};

describe("failures", () => {
  it("read the engine's CommandError, keep a Failure, and make anything else internal", () => {
    const f = Failure.from({ kind: "invalid", message: "bad", fields: [["camera_serial", "too short"]] });
    expect(f).toBeInstanceOf(Failure);
    expect(f).toMatchObject({ kind: "invalid", message: "bad", fields: { camera_serial: "too short" } });
    expect(Failure.from(f)).toBe(f);
    expect(Failure.from(new TypeError("oops"))).toMatchObject({ kind: "internal", message: "oops" });
    expect(Failure.from("plain")).toMatchObject({ kind: "internal", message: "plain" });
  });

  it("are said in the catalogue's words where it knows the kind, with the detail", () => {
    const zh = words(catalogues, "zh");
    expect(failureWords(zh, "refused", "the server refused the data: no such cell")).toBe("服务器拒收：no such cell");
    expect(failureText(words(catalogues, "en"), new Failure("network", "network"))).toBe("No connection");
    expect(failureWords(zh, "not_found", "no report 42")).toBe("no report 42");
    expect(failureWords(zh, undefined, "something")).toBe("something");
  });
});
