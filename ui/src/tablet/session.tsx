// What every screen of the app shares, loaded once by the shell (app.tsx): who is signed in
// on this device with its settings, the code table's categories, and the grid's outlines.
// Screens read it with `useSession`; nobody passes it down.
import { createContext } from "preact";
import { useContext } from "preact/hooks";

import type { Category } from "../shared/types";
import type { AppInfo, CellOutline } from "./commands";

export interface Session {
  /** Who this device is and who is signed in on it; null until loaded. */
  info: AppInfo | null;
  categories: Category[];
  cells: CellOutline[];
  /** Reads who is signed in again, after signing in or changing a setting. */
  reload: () => void;
}

export const SessionContext = createContext<Session>({ info: null, categories: [], cells: [], reload: () => {} });

export const useSession = (): Session => useContext(SessionContext);
