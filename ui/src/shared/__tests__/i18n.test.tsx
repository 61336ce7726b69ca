// The shared i18n: one translate over any app's catalogues, and the context that gives
// every component the language without passing it down.
import { render } from "preact";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { I18nProvider, translate, useI18n, words, type Catalogues } from "../i18n";

type Key = "hello" | "count" | "error.network";
const catalogues: Catalogues<Key> = {
  zh: { hello: "你好，{name}", count: "{n} 条", "error.network": "无法连接" },
  en: { hello: "Hello, {name}", count: "{n} items", "error.network": "No connection" },
};

let root: HTMLElement;
beforeEach(() => {
  localStorage.clear();
  root = document.createElement("div");
  document.body.append(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
});

/** Waits until `f` holds (renders after a state change are asynchronous). */
async function until(f: () => unknown, what: string) {
  for (let i = 0; i < 200; i++) {
    if (f()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("translate", () => {
  it("fills placeholders and leaves unknown ones visible", () => {
    expect(translate(catalogues, "en", "hello", { name: "Li" })).toBe("Hello, Li");
    expect(translate(catalogues, "zh", "count", { n: 3 })).toBe("3 条");
    expect(translate(catalogues, "zh", "hello")).toBe("你好，{name}");
  });

  it("binds a language with its locale, and knows which keys have words", () => {
    const en = words(catalogues, "en");
    expect(en.t("count", { n: 2 })).toBe("2 items");
    expect(en.locale).toBe("en-GB");
    expect(words(catalogues, "zh").locale).toBe("zh-CN");
    expect(en.has("error.network")).toBe(true);
    expect(en.has("error.refused")).toBe(false);
  });
});

describe("the language context", () => {
  /** A component deep in the tree that says hello and offers the other language. */
  function Greeting() {
    const { t, lang, setLang } = useI18n<Key>();
    return (
      <button id="greet" onClick={() => setLang(lang === "zh" ? "en" : "zh")}>
        {t("hello", { name: "Li" })}
      </button>
    );
  }
  const tree = (lang?: "zh" | "en") => (
    <I18nProvider catalogues={catalogues} storageKey="test.lang" lang={lang}>
      <div>
        <section>
          <Greeting />
        </section>
      </div>
    </I18nProvider>
  );
  const greet = () => root.querySelector<HTMLButtonElement>("#greet")!;

  it("gives every component the language, Chinese by default", async () => {
    render(tree(), root);
    expect(greet().textContent).toBe("你好，Li");
    await until(() => document.documentElement.lang === "zh-CN", "the document's language");
  });

  it("switches every component at once and remembers the choice", async () => {
    render(tree(), root);
    greet().click();
    await until(() => greet().textContent === "Hello, Li", "English");
    await until(() => document.documentElement.lang === "en", "the document's language");
    expect(localStorage.getItem("test.lang")).toBe("en");
    // A new start takes the remembered language.
    render(null, root);
    render(tree(), root);
    expect(greet().textContent).toBe("Hello, Li");
  });

  it("starts in the language it is given", () => {
    localStorage.setItem("test.lang", "zh");
    render(tree("en"), root);
    expect(greet().textContent).toBe("Hello, Li");
  });

  it("refuses to be read outside a provider", () => {
    expect(() => render(<Greeting />, root)).toThrow(/outside an I18nProvider/);
  });
});
