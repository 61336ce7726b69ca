// English. Keys mirror zh.ts exactly.
import type { Key } from "./zh";

export const en: Record<Key, string> = {
  "app.title": "Grid inspection",
  "nav.grid": "My grid",
  "nav.new": "Report",
  "nav.queue": "Queue",
  "nav.tasks": "Tasks",
  "nav.settings": "Settings",
  "kind.component": "Component",
  "kind.event": "Event",
  "category.search": "Search categories (name or code)",
  "category.recent": "Recent",
  "queue.empty": "Everything is sent",
  "queue.waiting": "{reports} reports and {photos} photos ({size}) waiting",
  "queue.lastSync": "Last sync: {when}",
  "queue.never": "Not synced yet",
  "queue.syncNow": "Sync now",
  "settings.language": "Language",
  "settings.server": "Server address",
  "settings.token": "Device token",
};
