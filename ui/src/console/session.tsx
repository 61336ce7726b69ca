// Who is signed in to the console, and what every page needs from the centre once per
// session: the category names (from the code tables as loaded), the departments cases
// are dispatched to and the teams, named after their leaders. The shell (app.tsx) loads
// them; pages read them with `useSession`, nobody passes them down.
import { createContext } from "preact";
import { useContext } from "preact/hooks";

import type { Department, Person, Team } from "../shared/types";
import type { CategoryName } from "./logic";

export interface Session {
  me: Person;
  names: Map<string, CategoryName>;
  departments: Department[];
  /** The teams this person may name and filter by (a leader's own, every team for an
   * operator), each named after its leaders. */
  teams: Team[];
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession is called outside a signed-in console");
  return session;
}
