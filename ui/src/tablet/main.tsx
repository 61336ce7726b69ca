import { render } from "preact";

import { I18nProvider } from "../shared/i18n";
import { App } from "./app";
import { catalogues } from "./i18n";
import "./style.css";

const root = document.getElementById("app");
if (root)
  render(
    <I18nProvider catalogues={catalogues} storageKey="lang">
      <App />
    </I18nProvider>,
    root,
  );
