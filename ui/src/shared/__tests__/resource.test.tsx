// The loading hook: a value that is not there yet, the failure when loading failed, loading
// again, and only the newest answer landing.
import { render } from "preact";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { Failure } from "../error";
import { useResource, type Resource } from "../resource";

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement("div");
  document.body.append(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
});

async function until(f: () => unknown, what: string) {
  for (let i = 0; i < 200; i++) {
    if (f()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A promise settled by hand. */
function later<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Renders a component using the hook over `load` with `deps`; returns what it saw last. */
function mount<T>(load: (dep: string) => Promise<T>, dep = "a") {
  const seen: { current: Resource<T> | null } = { current: null };
  function Probe({ dep }: { dep: string }) {
    seen.current = useResource(() => load(dep), [dep]);
    return null;
  }
  render(<Probe dep={dep} />, root);
  return { seen, rerender: (next: string) => render(<Probe dep={next} />, root) };
}

describe("useResource", () => {
  it("has no value while loading, then the value", async () => {
    const answer = later<number>();
    const { seen } = mount(() => answer.promise);
    expect(seen.current).toMatchObject({ value: undefined, error: null, loading: true });
    answer.resolve(42);
    await until(() => seen.current?.value === 42, "the value");
    expect(seen.current).toMatchObject({ error: null, loading: false });
  });

  it("keeps a failure as a Failure, and clears it when a reload succeeds", async () => {
    let fail = true;
    const { seen } = mount(async () => {
      if (fail) throw { kind: "network", message: "no connection" };
      return "ok";
    });
    await until(() => seen.current?.error, "the failure");
    expect(seen.current!.error).toBeInstanceOf(Failure);
    expect(seen.current!.error).toMatchObject({ kind: "network", message: "no connection" });
    expect(seen.current!.value).toBeUndefined();
    fail = false;
    await seen.current!.reload();
    await until(() => seen.current?.value === "ok", "the value");
    expect(seen.current!.error).toBeNull();
  });

  it("keeps the value on screen while reloading the same resource", async () => {
    let n = 0;
    const next = later<number>();
    const { seen } = mount(() => (++n === 1 ? Promise.resolve(1) : next.promise));
    await until(() => seen.current?.value === 1, "the first value");
    void seen.current!.reload();
    await until(() => seen.current?.loading, "the reload to start");
    expect(seen.current!.value).toBe(1);
    next.resolve(2);
    await until(() => seen.current?.value === 2, "the second value");
  });

  it("drops the value when the resource changes, and never lets an older answer land", async () => {
    const answers: Record<string, ReturnType<typeof later<string>>> = { a: later(), b: later() };
    const { seen, rerender } = mount((dep) => answers[dep].promise);
    rerender("b");
    answers.b.resolve("B");
    await until(() => seen.current?.value === "B", "b's value");
    // a's answer comes last, but a is no longer what is shown.
    answers.a.resolve("A");
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.current!.value).toBe("B");
  });

  it("takes a newer value a change answered with", async () => {
    const slow = later<string>();
    let asked = false;
    const { seen } = mount(() => {
      asked = true;
      return slow.promise;
    });
    await until(() => asked, "the load");
    seen.current!.set("edited");
    await until(() => seen.current?.value === "edited", "the set value");
    slow.resolve("stale");
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.current!.value).toBe("edited");
  });
});
