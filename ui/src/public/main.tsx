import { render } from "preact";

import { I18nProvider } from "../shared/i18n";
import { PublicPage } from "./app";
import { catalogues } from "./i18n";
import "./public.css";

const root = document.getElementById("public");
if (root)
  render(
    <I18nProvider catalogues={catalogues} storageKey="public.lang">
      <PublicPage />
    </I18nProvider>,
    root,
  );
