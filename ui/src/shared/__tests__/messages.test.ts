// Every code of the centre's catalogue has Chinese words that name exactly the parameters
// the English names, every coded value has words, and messages are said with their
// parameters, passed-on reasons and field problems.
import { describe, expect, it } from "vitest";

import { MESSAGES, VALUE_WORDS_EN, type MessageCode } from "../messages";
import { MESSAGES_ZH, VALUE_WORDS_ZH } from "../messages.zh";
import { Failure, failureText, fieldProblems } from "../error";
import { words } from "../i18n";
import { knows, say } from "../say";

const placeholders = (text: string) => [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

describe("the message catalogue", () => {
  const codes = Object.keys(MESSAGES) as MessageCode[];

  it("has every code in Chinese, naming the same parameters as the English", () => {
    expect(codes.length).toBeGreaterThan(100);
    const missing = codes.filter((c) => !MESSAGES_ZH[c]);
    expect(missing).toEqual([]);
    for (const c of codes) {
      const params = [...MESSAGES[c].params].sort();
      expect(placeholders(MESSAGES_ZH[c]), c).toEqual(params);
      expect(placeholders(MESSAGES[c].en), c).toEqual(params);
    }
    // Nothing translated that the server does not send.
    expect(Object.keys(MESSAGES_ZH).filter((c) => !knows(c))).toEqual([]);
  });

  it("has Chinese for every coded value", () => {
    for (const [kind, values] of Object.entries(VALUE_WORDS_EN)) {
      for (const v of Object.keys(values)) expect(VALUE_WORDS_ZH[kind]?.[v], `${kind}.${v}`).toBeTruthy();
    }
  });

  it("says a message with its values, reason and fields in the chosen language", () => {
    expect(
      say("zh", { code: "case.stale", params: { report: "20261102-0007", state: "registered", seen: "pending_review" } }),
    ).toBe("上报 20261102-0007 现在是“已立案”，不是“待受理”：已有人先处理，请重新查看");
    expect(say("en", { code: "access.role_may_not", params: { role: "leader", act: "administer" } })).toBe(
      "a team leader may not manage people and devices",
    );
    expect(say("zh", { code: "access.role_may_not", params: { role: "leader", act: "administer" } })).toBe(
      "网格长无权管理人员和设备",
    );
    expect(
      say("zh", { code: "note.task_refused", cause: { code: "case.removed", params: { report: "r1" } } }),
    ).toBe("你的核查未被接受：上报 r1 已被中心删除");
    expect(
      say("zh", {
        code: "intake.report_invalid",
        params: { problems: "description: 2001 characters; at most 2000" },
        fields: [{ field: "description", code: "valid.too_long", params: { chars: "2001", max: "2000" } }],
      }),
    ).toBe("上报内容无效：问题描述：2001 个字符；最多 2000 个");
    expect(say("zh", { code: "from.a.newer.centre" }, "in English")).toBe("in English");
  });
});

describe("failures said from their codes", () => {
  const w = words({ zh: { "error.refused": "服务器拒收：{detail}", "error.signed_out": "请重新登录" }, en: { "error.refused": "Refused: {detail}", "error.signed_out": "Sign in again" } }, "zh");
  it("wrap the message in the kind's words only where those pass it on", () => {
    const refused = new Failure("refused", "in English", {}, { code: "case.removed", params: { report: "r1" } });
    expect(failureText(w, refused)).toBe("服务器拒收：上报 r1 已被中心删除");
    const signedOut = new Failure("signed_out", "in English", {}, { code: "auth.sign_in_wrong" });
    expect(failureText(w, signedOut)).toBe("账号或密码不正确");
  });
  it("give each refused field its problem in words, without repeating the field's name", () => {
    const f = Failure.from({
      kind: "invalid",
      message: "description: 2001 characters; at most 2000",
      fields: [["description", "2001 characters; at most 2000"]],
      problems: [{ field: "description", code: "valid.too_long", params: { chars: "2001", max: "2000" } }],
    });
    expect(fieldProblems(w, f)).toEqual({ description: "2001 个字符；最多 2000 个" });
  });
});
