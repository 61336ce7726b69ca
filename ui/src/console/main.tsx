import { render } from "preact";

import { Console } from "./app";
import "./console.css";

const root = document.getElementById("console");
if (root) render(<Console />, root);
