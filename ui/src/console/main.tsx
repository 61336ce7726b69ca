import { render } from "preact";

import { I18nProvider } from "../shared/i18n";
import { Console } from "./app";
import "./console.css";
import { catalogues } from "./i18n";

const root = document.getElementById("console");
if (root)
  render(
    <I18nProvider catalogues={catalogues} storageKey="console.lang">
      <Console />
    </I18nProvider>,
    root,
  );
