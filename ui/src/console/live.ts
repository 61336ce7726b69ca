// Live refresh: the centre's events stream (GET /v1/console/events) says, with a change
// mark, that reports, cases or tasks changed; actions taken on this page say so too
// (`refreshQueues`). A page that shows the centre's data reads it again on either, at most
// one read at a time and one more if changes came meanwhile, never reloading itself.
import { useEffect, useRef, useState } from "preact/hooks";

import { links } from "./client";

/** Tells every live page on screen to read its data again (after an action here). */
const changes = new EventTarget();
export function refreshQueues(): void {
  changes.dispatchEvent(new Event("changed"));
}

/** Calls `read` whenever the centre or this page says something changed; whether the
 * centre's stream is connected. */
export function useLive(read: () => Promise<void>): boolean {
  const [live, setLive] = useState(true);
  const readRef = useRef(read);
  readRef.current = read;
  useEffect(() => {
    let running = false;
    let again = false;
    const run = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          await readRef.current();
        } while (again);
      } finally {
        // A read that failed must not stop every later one.
        running = false;
      }
    };
    const onChange = () => void run();
    changes.addEventListener("changed", onChange);
    // Each stream starts with the centre's current mark (and a reconnect, every 25 s, with
    // it again): only a mark other than the last one seen means something changed.
    let mark: string | null = null;
    const onMark = (e: MessageEvent<string>) => {
      if (mark !== null && e.data !== mark) onChange();
      mark = e.data;
    };
    const events = typeof EventSource === "undefined" ? null : new EventSource(links.events());
    events?.addEventListener("changed", onMark);
    if (events) {
      events.onopen = () => setLive(true);
      events.onerror = () => setLive(false);
    }
    return () => {
      changes.removeEventListener("changed", onChange);
      events?.close();
    };
  }, []);
  return live;
}
