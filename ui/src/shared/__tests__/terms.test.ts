// One word for each role and number across the apps, as the people who use them say it:
// the team leader is 网格长 (never 组长, 班长, 队长 …), an inspector's number is their 工号
// (the 警号 of the body-cam standard is a police officer's), in the tablet, the console, the
// public page and what the centre and the engine say.
import { describe, expect, it } from "vitest";

import { catalogues as consoleWords } from "../../console/i18n";
import { catalogues as publicWords } from "../../public/i18n";
import { catalogues as tabletWords } from "../../tablet/i18n";
import { FIELD_WORDS_ZH, MESSAGES_ZH, VALUE_WORDS_ZH } from "../messages.zh";
import { fieldWords, say } from "../say";

/** Every Chinese string of every catalogue, with where it comes from. */
function chinese(): [string, string][] {
  const out: [string, string][] = [];
  const add = (where: string, table: Record<string, string>) => {
    for (const [k, v] of Object.entries(table)) out.push([`${where} ${k}`, v]);
  };
  add("tablet", tabletWords.zh);
  add("console", consoleWords.zh);
  add("public", publicWords.zh);
  add("messages", MESSAGES_ZH);
  add("fields", FIELD_WORDS_ZH);
  for (const [kind, values] of Object.entries(VALUE_WORDS_ZH)) add(`values.${kind}`, values);
  return out;
}

describe("terms", () => {
  it("call the team leader 网格长 everywhere", () => {
    const other = chinese().filter(([, v]) => /组长|班长|队长|片长|格长/.test(v.replace(/网格长/g, "")));
    expect(other).toEqual([]);
    expect(consoleWords.zh["role.leader"]).toBe("网格长");
    expect(VALUE_WORDS_ZH.role.leader).toBe("网格长");
  });

  it("call an inspector's number 工号 everywhere", () => {
    expect(chinese().filter(([, v]) => /警号|工作证号|员工号|编码号/.test(v))).toEqual([]);
    expect(tabletWords.zh["report.badge"]).toBe("工号");
    expect(tabletWords.zh["settings.badge"]).toBe("工号");
    // A clip reference names the number where both apps list it, and where a refusal names
    // the field.
    expect(tabletWords.zh["report.clipLine"]).toContain("工号 {badge}");
    expect(consoleWords.zh["report.clipLine"]).toContain("工号 {badge}");
    expect(fieldWords("zh", "clip.officer_badge")).toBe("执法记录仪视频.工号");
    expect(fieldWords("zh", "clips[0].officer_badge")).toBe("执法记录仪视频[0].工号");
    expect(fieldWords("zh", "photos[1].sha256")).toBe("照片[1].sha256");
    expect(
      say("zh", {
        code: "device.invalid",
        params: { problems: "" },
        fields: [{ field: "clip.officer_badge", code: "valid.badge", params: { value: "44010" } }],
      }),
    ).toBe("执法记录仪视频.工号：44010 不是 6 位工号");
  });
});
